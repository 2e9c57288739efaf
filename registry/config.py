"""Default configuration. Override with instance/config.py or REGISTRY_* environment variables."""

from __future__ import annotations

# Empty means: a SpatiaLite file `registry.sqlite` in the Flask instance folder.
DATABASE_URL = ""
# Leaflet tile URL template; pages must still work when these tiles cannot be fetched.
TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_ATTRIBUTION = "&copy; OpenStreetMap contributors"
# A point outside every area is given the nearest area when within this distance (coast, islands).
COAST_TOLERANCE_M = 5_000.0
# Days a volunteer may correct or withdraw their own survey entry after entering it.
SURVEY_CORRECTION_WINDOW_DAYS = 7
# API paging.
API_DEFAULT_LIMIT = 100
API_MAX_LIMIT = 1_000

# --- Accounts and sessions ---------------------------------------------------------
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
# --- Waiting for the database --------------------------------------------------------
# A request waits at most this long for another's write lock (SQLite busy timeout, PostgreSQL
# lock_timeout), then is answered 503 with Retry-After; a statement is cancelled after the
# statement timeout (PostgreSQL; 0: none). Imports hold the lock only for their final write.
DATABASE_LOCK_TIMEOUT_S = 5
DATABASE_STATEMENT_TIMEOUT_S = 120
# The command line (`registry import` of a national list) waits and runs longer.
CLI_DATABASE_LOCK_TIMEOUT_S = 120
CLI_DATABASE_STATEMENT_TIMEOUT_S = 0
# --- How soon every worker sees a committed change ----------------------------------
# A change committed by anyone, on any host, is in every answer that begins more than
# DATA_VERSION_MAX_LAG_MS after its commit (PostGIS: the version a worker was told by NOTIFY
# is trusted only while its own read of the version, every DATA_VERSION_HEARTBEAT_MS, is
# that recent; see registry.version_watch). SpatiaLite checks on every answer. A writer sees
# its own change in its next answer on any worker, whatever these are.
DATA_VERSION_MAX_LAG_MS = 100
DATA_VERSION_HEARTBEAT_MS = 25
# Uploads for the import page (bytes).
MAX_CONTENT_LENGTH = 20 * 1024 * 1024
# What one import may read, checked while the file is read (see importers/limits.py): data
# in MB after unzipping, data rows, lines or sheet rows read (blank included), cells/values/
# elements read, files in a zip, likely-duplicate pairs flagged, name comparisons made.
IMPORT_LIMITS = {
    "expanded_mb": 64,
    "rows": 100_000,
    "rows_read": 150_000,
    "cells": 5_000_000,
    "members": 1_000,
    "duplicate_pairs": 2_000,
    "name_comparisons": 2_000_000,
}
# The same for `registry import` on the command line: national lists, run by an administrator.
CLI_IMPORT_LIMITS = {
    "expanded_mb": 2_048,
    "rows": 2_000_000,
    "rows_read": 3_000_000,
    "cells": 100_000_000,
    "members": 10_000,
    "duplicate_pairs": 50_000,
    "name_comparisons": 50_000_000,
}

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

# --- Coverage for planners ---------------------------------------------------------
# A Dask scheduler address (e.g. tcp://10.0.0.5:8786) to compute coverage tables on a cluster;
# empty: in-process. REGISTRY_DASK_SCHEDULER sets it from the environment.
DASK_SCHEDULER = ""
# The population layer coverage uses when a request names none (else the newest layer).
COVERAGE_DEFAULT_LAYER = "dopa-2021-subdistrict"
# Layers counted from survey records: coverage on them is for signed-in accounts only.
COVERAGE_PRIVATE_LAYERS = ("survey-unvaccinated",)

# --- Serving and operations -------------------------------------------------------
# `registry serve` (gunicorn, gthread workers; see registry/operations/gunicorn_conf.py).
# Each setting is also REGISTRY_SERVE_*, e.g. REGISTRY_SERVE_WORKERS=4; the command's options
# win over both.
SERVE_BIND = "127.0.0.1:8000"  # host:port, or unix:/run/registry/registry.sock
SERVE_WORKERS = 2  # processes; about one or two per CPU core
SERVE_THREADS = 4  # threads per process
SERVE_TIMEOUT = 120  # seconds a request may take before its worker is replaced
SERVE_GRACEFUL_TIMEOUT = 30  # seconds requests in flight get to finish on HUP and TERM
# Logs: "json" (one object per line, with the request id) or "text"; "-" is stderr, else a
# file that logrotate may move (it is reopened).
LOG_FORMAT = "json"
LOG_LEVEL = "INFO"
LOG_FILE = "-"
# Clients allowed to read /metrics (CIDRs). Behind a proxy, set PROXY_COUNT so the client's
# own address is the one checked.
METRICS_ALLOWED_CLIENTS = ("127.0.0.0/8", "::1/128")
# Whole-list downloads are written once per data version and filter, and kept in
# instance/downloads for the next client; beyond this many megabytes the least recently
# served files go (filters such as bbox have endless values, so the folder must not grow
# without bound).
DOWNLOAD_CACHE_MB = 2_000

# --- Travel time on roads ---------------------------------------------------------
# Travel profiles: the Thai defaults of geo.routing.profiles, changed per profile and field,
# e.g. {"motorcycle": {"speeds_kmh": {"residential": 20}}, "car": {"top_speed_kmh": 100}}.
ROUTING_PROFILES: dict = {}
ROUTING_DEFAULT_PROFILE = "motorcycle"
# A point farther than this (straight line) from any usable road of a layer is outside it:
# nearest-site answers there fall back to distance, coverage leaves the unit out and counts it.
ROUTING_MAX_ACCESS_M = 1000.0
