"""The village specialty shop: one storefront for Longnan's farmer cooperatives."""
import os

from flask import Flask

from config import CONFIGS


def create_app(config: str | type | None = None) -> Flask:
    """Build the application: config, extensions, blueprints, CLI, filters."""
    app = Flask(__name__, instance_path=os.environ.get("SHOP_INSTANCE_DIR") or None,
                template_folder="../templates", static_folder="../static")
    name = config or os.environ.get("SHOP_CONFIG", "development")
    cfg = CONFIGS[name] if isinstance(name, str) else name
    if hasattr(cfg, "check"):
        cfg.check()
    app.config.from_object(cfg)
    os.makedirs(app.config["UPLOAD_DIR"], exist_ok=True)
    os.makedirs(app.instance_path, exist_ok=True)

    from shop import assets, extensions, i18n, logs, models, money, outage, pagecache, proxy, security, web  # noqa: F401 - models: tables
    from shop.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    limiter.init_app(app)
    for part in (money, i18n, web, logs, security, outage, pagecache, proxy, assets):  # proxy wraps pagecache's WSGI
        part.init_app(app)
    return app
