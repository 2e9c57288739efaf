"""Default configuration. Override with instance/config.py or REGISTRY_* environment variables."""

from __future__ import annotations

# Empty means: a SpatiaLite file `registry.sqlite` in the Flask instance folder.
DATABASE_URL = ""
# Leaflet tile URL template; pages must still work when these tiles cannot be fetched.
TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_ATTRIBUTION = "&copy; OpenStreetMap contributors"
# A point outside every area is given the nearest area when within this distance (coast, islands).
COAST_TOLERANCE_M = 5_000.0
# API paging.
API_DEFAULT_LIMIT = 100
API_MAX_LIMIT = 1_000

# --- Accounts and sessions (issue 5) ---------------------------------------------------------
# Signs session cookies and CSRF tokens. Unset: a random key is made once and kept in
# instance/secret_key (shared by every worker on the machine); set REGISTRY_SECRET_KEY when
# workers run on several machines.
SECRET_KEY = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Cookies only over HTTPS (browsers also accept them from http://127.0.0.1 and localhost, so
# scripts/serve works). Set REGISTRY_SESSION_COOKIE_SECURE=false to sign in over plain http
# from another host; under TESTING the app switches both flags off (the test client is http).
SESSION_COOKIE_SECURE = True
REMEMBER_COOKIE_SECURE = True
REMEMBER_COOKIE_HTTPONLY = True
PERMANENT_SESSION_LIFETIME = 12 * 3600
# Sign-in throttling, counted in the database so it holds across workers. A browser that
# signed in to the account before (a signed device cookie) is held only by its own failures
# (PER_DEVICE), so others' guessing never locks the owner out of it. Other clients are held per
# account from one address (PER_ACCOUNT), per account from everywhere (EVERYWHERE) and per
# address over all accounts (PER_CLIENT); every count ends with the window.
LOGIN_FAILURE_WINDOW_MINUTES = 15
LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
LOGIN_MAX_FAILURES_PER_CLIENT = 20
LOGIN_MAX_FAILURES_PER_DEVICE = 5
LOGIN_MAX_FAILURES_PER_ACCOUNT_EVERYWHERE = 50
# While the database cannot be reached (or, on SpatiaLite, another writer holds it): the
# Retry-After of the 503 answers, in seconds.
DATABASE_DOWN_RETRY_AFTER_S = 30
DATABASE_BUSY_RETRY_AFTER_S = 2
# Resident reports without an account, per client (hashed address) per hour.
REPORTS_PER_CLIENT_PER_HOUR = 5
# Reverse proxies in front of the app (nginx, a load balancer) that set X-Forwarded-For and
# -Proto. 0 trusts no header: throttling counts the proxy's address, and a client cannot spoof
# its own. Set to the number of proxies in the chain (usually 1) when there are some.
PROXY_COUNT = 0
# Uploads for the import page (bytes).
MAX_CONTENT_LENGTH = 20 * 1024 * 1024

# --- Freshness -------------------------------------------------------------------------------
# Hours an 'open' status stays trusted after someone confirmed it, per facility type. Past it,
# residents see "unconfirmed" and open-now searches leave the site out (or list it, labelled,
# only when too few confirmed sites match).
FRESHNESS_TTL_HOURS = {
    "covid_test_point": 72,
    "vaccination_site": 72,
    "hospital": 72,
    "field_hospital": 72,
    "waiting_centre": 72,
}
# Hours other fields stay trusted after someone stated them, per type ("*" for every type).
FRESHNESS_FIELD_TTL_HOURS = {
    "*": {"address": 24 * 182, "location": 24 * 182, "phone": 24 * 91, "opening_hours": 24 * 30},
    "vaccination_site": {"vaccine_brands": 24, "doses": 72, "daily_capacity": 72},
    "covid_test_point": {"test_methods": 72, "daily_capacity": 72},
    "hospital": {"covid_beds_occupied": 24, "covid_beds_total": 72},
    "field_hospital": {
        "beds_green_available": 24,
        "beds_yellow_available": 24,
        "beds_red_available": 24,
    },
    "waiting_centre": {
        "beds_green_available": 24,
        "beds_yellow_available": 24,
        "beds_red_available": 24,
    },
}
# A site whose status confirmation is older than this is hidden from residents altogether.
FRESHNESS_HIDE_AFTER_DAYS = 29
# Sites never confirmed (lists loaded from old files) are shown as "unconfirmed" rather than
# hidden, so a newly loaded registry still answers; set True once officials have confirmed.
FRESHNESS_HIDE_NEVER_CONFIRMED = False

# --- Coverage for planners (issue 6) ---------------------------------------------------------
# A Dask scheduler address (e.g. tcp://10.0.0.5:8786) to compute coverage tables on a cluster;
# empty: in-process. REGISTRY_DASK_SCHEDULER sets it from the environment.
DASK_SCHEDULER = ""
# The population layer coverage uses when a request names none (else the newest layer).
COVERAGE_DEFAULT_LAYER = "dopa-2020-modelled"
# Layers counted from survey records: coverage on them is for signed-in accounts only.
COVERAGE_PRIVATE_LAYERS = ("survey-unvaccinated",)
