"""Environment a production start needs (ProductionConfig.check reads it)."""
PRODUCTION_ENV = {"SECRET_KEY": "x" * 40, "DATABASE_URL": "postgresql+psycopg://shop@db/shop",
                  "TRUSTED_HOSTS": "shop.example", "STRIPE_SECRET_KEY": "sk_live_x",
                  "STRIPE_WEBHOOK_SECRET": "whsec_x", "MAIL_SERVER": "smtp.example",
                  "DATA_KEY": "k" * 40}
