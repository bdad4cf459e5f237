"""The planner's rules: may this user go into this pool as mapped, and if not, why not?

``RuleSet(profile, …).check(candidate)`` returns the ``Finding`` list for one ``Candidate`` (empty:
it passes). Each rule is a small pure function of a value and the pool's settings, in its own module:
``username`` (shape, alias and sign-in formats, policy), ``contact`` (email, phone), ``attributes``
(schema, lengths, types, constraints, birthdate, updated_at, required, immutable), ``pool``
(auto-verified attributes, MFA), ``uniqueness`` (the one stateful rule, and users already in the
pool). ``findings`` holds the rule ids, which are a stable contract of the report.
"""

from cognito_migrate.planner.rules.candidate import Candidate
from cognito_migrate.planner.rules.findings import CSV_IMPORT, RULE_IDS, Finding
from cognito_migrate.planner.rules.ruleset import RuleSet
from cognito_migrate.planner.rules.uniqueness import ExistingUsersLike

__all__ = ["CSV_IMPORT", "RULE_IDS", "Candidate", "ExistingUsersLike", "Finding", "RuleSet"]
