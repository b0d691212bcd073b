"""Where the app keeps its data, read from the environment with embedded defaults.

The embedded default needs no servers: SQLite in the working directory. `REFLEX_DB_URL` points the
app, the CLI and the migrations at another database (e.g. PostgreSQL); Reflex reads it too.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

DEFAULT_DB_URL = "sqlite:///ics_capacity.db"


def database_url() -> str:
    """The SQLAlchemy URL of the app's database."""
    url = os.environ.get("REFLEX_DB_URL") or DEFAULT_DB_URL
    # Plain postgresql:// means psycopg2 to SQLAlchemy; this project ships psycopg 3.
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def nhs_data_dir() -> Path:
    """The folder of NHS England's published files used by the demo.

    `ICS_DATA_DIR` wins; otherwise the project's shared data folder beside the checkout.
    """
    if env := os.environ.get("ICS_DATA_DIR"):
        return Path(env)
    for candidate in (REPO_ROOT.parent / "shared" / "data" / "nhs", Path("/work/shared/data/nhs")):
        if candidate.is_dir():
            return candidate
    return REPO_ROOT.parent / "shared" / "data" / "nhs"


def is_production() -> bool:
    """Whether this is a production deployment (`ICS_ENV=production`)."""
    return os.environ.get("ICS_ENV", "development").strip().lower() == "production"


def allowed_origins() -> list[str]:
    """Origins allowed to open the websocket and upload (`ICS_ALLOWED_ORIGINS`, comma separated).

    Outside production an unset list allows any origin, so that the test harness's random ports
    work; production refuses to start without it (`ics_capacity.ics_capacity`).
    """
    raw = os.environ.get("ICS_ALLOWED_ORIGINS", "")
    origins = [o.strip().rstrip("/") for o in raw.split(",") if o.strip()]
    return origins or ([] if is_production() else ["*"])


def demo_sign_ins_file() -> Path:
    """Where `seed-demo` writes the demo accounts' passwords (readable by its owner only)."""
    return Path(os.environ.get("ICS_DEMO_SIGN_INS", REPO_ROOT / ".demo-sign-ins.txt"))


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as error:
        raise ValueError(f"{name} must be a number, not {raw!r}.") from error
    if value < 0:
        raise ValueError(f"{name} must not be negative.")
    return value


def keep_sessions_days() -> float:
    """Days an ended sign-in session is kept (`ICS_KEEP_SESSIONS_DAYS`, default 30)."""
    return _number("ICS_KEEP_SESSIONS_DAYS", 30)


def keep_jobs_days() -> float:
    """Days a finished optimiser run is kept (`ICS_KEEP_JOBS_DAYS`, default 90).

    Each scenario's newest successful run of each kind is always kept: it is its current result.
    """
    return _number("ICS_KEEP_JOBS_DAYS", 90)


def keep_uploads_hours() -> float:
    """Hours an uploaded file waiting for import is kept (`ICS_KEEP_UPLOADS_HOURS`, default 1)."""
    return _number("ICS_KEEP_UPLOADS_HOURS", 1)


def trusted_proxy_hops() -> int:
    """How many reverse proxies in front of the app add to X-Forwarded-For.

    `ICS_TRUSTED_PROXY_HOPS`, default 0: the header is ignored, as any client can send it.
    """
    return int(_number("ICS_TRUSTED_PROXY_HOPS", 0))


def solver_niceness() -> int:
    """The CPU priority (Unix niceness) of solver workers and solves (`ICS_SOLVER_NICE`).

    0 to 19, default 10. `ics-capacity worker` runs at it (its solves and Dashboard projections
    with it); a solve started beside the web server (`ICS_JOB_QUEUE=local`) lowers itself to it.
    A solve is throughput work with a time limit; a page's event is someone waiting. Where both
    share a host (`make run`, a small deployment, CI), the operating system then gives the web
    processes the cores first and the solve every cycle they leave. 0: the pages' priority.
    """
    value = _number("ICS_SOLVER_NICE", 10)
    if value > 19 or value != int(value):
        raise ValueError("ICS_SOLVER_NICE must be a whole number from 0 to 19.")
    return int(value)


def idle_timeout_minutes() -> float:
    """Minutes without use after which a session ends (`ICS_IDLE_TIMEOUT_MINUTES`, default 30)."""
    return _number("ICS_IDLE_TIMEOUT_MINUTES", 30) or 30


def idle_warning_seconds() -> float:
    """How long before the idle timeout the page warns (`ICS_IDLE_WARNING_SECONDS`, default 120)."""
    return _number("ICS_IDLE_WARNING_SECONDS", 120)


# --- Single sign-on (OpenID Connect) -------------------------------------------------------------


def oidc_issuer() -> str:
    """The OpenID provider's issuer URL (`ICS_OIDC_ISSUER`); empty turns single sign-on off.

    NHS.net Connect and Microsoft Entra ID: `https://login.microsoftonline.com/TENANT/v2.0`.
    """
    return os.environ.get("ICS_OIDC_ISSUER", "").strip().rstrip("/")


def oidc_client() -> tuple[str, str]:
    """This app's client id and secret at the provider (`ICS_OIDC_CLIENT_ID`, `_SECRET`)."""
    return (
        os.environ.get("ICS_OIDC_CLIENT_ID", "").strip(),
        os.environ.get("ICS_OIDC_CLIENT_SECRET", "").strip(),
    )


def oidc_allowed_domains() -> list[str]:
    """Email domains whose people may sign in with the provider (`ICS_OIDC_ALLOWED_DOMAINS`).

    Comma separated, e.g. `nhs.net,dgh.nhs.uk`. Empty means no one: a tenant shared by many
    organisations (NHS.net) must not let every account in.
    """
    raw = os.environ.get("ICS_OIDC_ALLOWED_DOMAINS", "")
    return [d.strip().lower().lstrip("@") for d in raw.split(",") if d.strip()]


def oidc_redirect_uri() -> str:
    """The callback address registered at the provider (`ICS_OIDC_REDIRECT_URI`).

    Empty: worked out from the request (scheme, honouring trusted proxies, and `Host`), e.g.
    `https://capacity.example.nhs.uk/_auth/oidc/callback`.
    """
    return os.environ.get("ICS_OIDC_REDIRECT_URI", "").strip()


def oidc_label() -> str:
    """The provider's name on the sign-in button (`ICS_OIDC_LABEL`)."""
    return os.environ.get("ICS_OIDC_LABEL", "").strip() or "NHS.net or Microsoft account"


def oidc_configured() -> bool:
    """Whether single sign-on is set up: an issuer, a client id and at least one domain."""
    return bool(oidc_issuer() and oidc_client()[0] and oidc_allowed_domains())
