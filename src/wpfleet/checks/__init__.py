"""What verify asks of a deployed tenant, written once for every backend.

- ``base``: ``Check`` (never raises) and ``CheckResult``;
- ``probe``: the ``SiteProbe`` interface and the one HTTP client backends build it on;
- ``page``: reading a front page (title, theme stylesheet, visible text), the status rule;
- ``site``: the WordPress checks (http, wp-title, wp-admin, basic-auth, https);
- ``poll``: the one polling helper (deadline, growing waits);
- ``verify``: the runner that polls failing checks and builds the report.

Backends add their infrastructure checks (``wpfleet.backends.*.checks``).
"""
