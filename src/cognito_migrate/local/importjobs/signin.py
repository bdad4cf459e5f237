"""Sign-in of imported users: a hash-imported user's first sign-in, and RESET_REQUIRED users.

Runs at order 30 on InitiateAuth and AdminInitiateAuth: after the username has been canonicalised
(order 10) and the request validated (20), before the migrate-user trigger (40), which only acts for
users that do not exist. For a user imported with a ``password_hash`` and no password yet, the password
is checked against the hash (outside moto's lock: bcrypt and scrypt are slow on purpose); when it
matches, moto is given the password and the hash is dropped, so moto signs the user in now and later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cognito_migrate.local.backends import find_user, pool_for_client, user_pool
from cognito_migrate.local.importjobs import hashes
from cognito_migrate.local.wire import ApiCall, CognitoError, Reply

if TYPE_CHECKING:
    from cognito_migrate.local.app import Forward
    from cognito_migrate.local.importjobs.models import ImportJobService

SIGN_IN_ORDER = 30
PASSWORD_FLOWS = frozenset({"USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"})
SRP_FLOWS = frozenset({"USER_SRP_AUTH"})
WRONG_PASSWORD = "Incorrect username or password."  # noqa: S105 - an error message
# Cognito cannot run SRP for a user whose only secret is an imported hash; its exact answer is
# UNVERIFIED, NotAuthorizedException is what a client would get for a failed SRP sign-in.
SRP_NOT_YET = WRONG_PASSWORD


class ImportedSignIn:
    def __init__(self, service: ImportJobService) -> None:
        self.service = service
        self.app = service.app

    def initiate_auth(self, call: ApiCall, forward: Forward) -> Reply:
        def pool() -> Any:
            return pool_for_client(call.account, call.region, str(call.params.get("ClientId", "")))

        return self._sign_in(call, forward, pool)

    def admin_initiate_auth(self, call: ApiCall, forward: Forward) -> Reply:
        def pool() -> Any:
            return user_pool(call.account, call.region, str(call.params.get("UserPoolId", "")))

        return self._sign_in(call, forward, pool)

    def _sign_in(self, call: ApiCall, forward: Forward, find_pool: Any) -> Reply:
        from moto.cognitoidp.models import UserStatus

        flow = call.params.get("AuthFlow")
        if flow not in PASSWORD_FLOWS and flow not in SRP_FLOWS:
            return forward(call)
        parameters = call.params.get("AuthParameters") or {}
        name, password = parameters.get("USERNAME"), parameters.get("PASSWORD")
        if not isinstance(name, str):
            return forward(call)
        # Never forward while holding moto's lock: later hooks (the migrate-user trigger) wait on
        # other processes.
        with self.app.moto_lock:
            user = self._known_user(find_pool, name)
            if user is not None:
                pool_id, sub = user.user_pool_id, user.id
                reset_required = user.status is UserStatus.RESET_REQUIRED
                has_password = user.password is not None
        if user is None:
            return forward(call)  # moto (or the migrate-user trigger) answers
        imported = None if has_password else self.service.imported_hash(pool_id, sub)
        if imported is None:
            if reset_required and flow in PASSWORD_FLOWS:
                # moto lets such a user answer NEW_PASSWORD_REQUIRED or fails on the missing password.
                raise CognitoError("PasswordResetRequiredException", "Password reset required for the user")
            return forward(call)
        if flow in SRP_FLOWS:
            raise CognitoError("NotAuthorizedException", SRP_NOT_YET)
        if not isinstance(password, str) or not hashes.verify(imported.algorithm, imported.value, password):
            raise CognitoError("NotAuthorizedException", WRONG_PASSWORD)
        with self.app.moto_lock:
            if user.password is None:
                user.password = password
        self.service.forget_hash(pool_id, sub)
        return forward(call)

    def confirm_forgot_password(self, call: ApiCall, forward: Forward) -> Reply:
        """A reset password makes a RESET_REQUIRED user CONFIRMED in Cognito; moto keeps the status."""
        from moto.cognitoidp.models import UserStatus

        reply = forward(call)
        if not reply.ok:
            return reply

        def pool() -> Any:
            return pool_for_client(call.account, call.region, str(call.params.get("ClientId", "")))

        with self.app.moto_lock:
            user = self._known_user(pool, str(call.params.get("Username", "")))
            if user is None:
                return reply
            if user.status is UserStatus.RESET_REQUIRED:
                user.status = UserStatus.CONFIRMED
            pool_id, sub = user.user_pool_id, user.id
        self.service.forget_hash(pool_id, sub)  # the new password replaces the imported hash
        return reply

    @staticmethod
    def _known_user(find_pool: Any, name: str) -> Any:
        """The enabled user ``name`` means, or None when moto should answer (no pool or client, an
        unknown user for the trigger, a disabled user). Call with moto's lock held."""
        try:
            pool = find_pool()
        except CognitoError:
            return None
        user = find_user(pool, name)
        return user if user is not None and user.enabled else None
