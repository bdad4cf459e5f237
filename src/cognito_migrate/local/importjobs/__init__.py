"""Cognito's user import jobs in the local Cognito (moto has none of them).

``install(app)`` registers GetCSVHeader and the five job actions, the pre-signed upload URL, the
sign-in of imported users (order 30 on InitiateAuth, AdminInitiateAuth and ConfirmForgotPassword)
and the refusal to change or delete a pool while one of its jobs runs. ``service_for(app)`` gives
tests the job service, whose ``clock`` and ``row_pause`` settings they may change.

Modules: ``csvfile`` reads the file, ``rules`` judges each row, ``hashes`` checks and verifies password
hashes, ``models`` keeps the jobs' state, ``runner`` imports a file, ``upload`` serves the upload URL,
``responses`` speaks the API, ``signin`` lets imported users in.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from cognito_migrate.local.importjobs.csvfile import FIRST_DATA_LINE_NUMBER, PASSWORD_HASH_COLUMN
from cognito_migrate.local.importjobs.models import ImportJobService, JobStatus
from cognito_migrate.local.importjobs.responses import ImportJobResponses
from cognito_migrate.local.importjobs.signin import SIGN_IN_ORDER, ImportedSignIn
from cognito_migrate.local.importjobs.upload import UPLOAD_PATH_PREFIX, upload_route
from cognito_migrate.local.wire import ApiCall, CognitoError, Reply

if TYPE_CHECKING:
    from cognito_migrate.local.app import Forward, LocalCognitoApp

__all__ = [
    "FIRST_DATA_LINE_NUMBER",
    "PASSWORD_HASH_COLUMN",
    "ImportJobService",
    "JobStatus",
    "install",
    "service_for",
]

# The import actions replace moto (which lacks them): they run after every other extension's hooks.
ACTION_ORDER = 90
# Refusing pool changes during a job comes after validation and before moto.
POOL_CHANGE_ORDER = 50
_SERVICES: weakref.WeakKeyDictionary[LocalCognitoApp, ImportJobService] = weakref.WeakKeyDictionary()


def install(app: LocalCognitoApp) -> None:
    service = ImportJobService(app)
    _SERVICES[app] = service
    responses = ImportJobResponses(service)
    app.on("GetCSVHeader", responses.get_csv_header, order=ACTION_ORDER)
    app.on("CreateUserImportJob", responses.create_user_import_job, order=ACTION_ORDER)
    app.on("StartUserImportJob", responses.start_user_import_job, order=ACTION_ORDER)
    app.on("StopUserImportJob", responses.stop_user_import_job, order=ACTION_ORDER)
    app.on("DescribeUserImportJob", responses.describe_user_import_job, order=ACTION_ORDER)
    app.on("ListUserImportJobs", responses.list_user_import_jobs, order=ACTION_ORDER)
    app.route(UPLOAD_PATH_PREFIX, upload_route(lambda: service.state.url_secret, lambda: service.clock(),
                                               service.receive_file))  # fmt: skip
    sign_in = ImportedSignIn(service)
    app.on("InitiateAuth", sign_in.initiate_auth, order=SIGN_IN_ORDER)
    app.on("AdminInitiateAuth", sign_in.admin_initiate_auth, order=SIGN_IN_ORDER)
    app.on("ConfirmForgotPassword", sign_in.confirm_forgot_password, order=SIGN_IN_ORDER)

    def refuse_while_importing(call: ApiCall, forward: Forward) -> Reply:
        pool_id = call.params.get("UserPoolId")
        if isinstance(pool_id, str) and service.has_active_job(call.account, call.region, pool_id):
            raise CognitoError("UserImportInProgressException",
                               f"An import job is in progress for user pool {pool_id}.")  # fmt: skip
        return forward(call)

    for action in ("UpdateUserPool", "AddCustomAttributes", "DeleteUserPool"):
        app.on(action, refuse_while_importing, order=POOL_CHANGE_ORDER)


def service_for(app: LocalCognitoApp) -> ImportJobService:
    """The import-job service installed in ``app`` (for tests and the state file)."""
    return _SERVICES[app]
