"""Production entry point, served by waitress: ``waitress-serve --listen=127.0.0.1:5000 wsgi:app``.

Starts the automatic daily backup and the network sync next to the app, and removes stale export
spools (the factory itself never does).
"""

from clinic_app import create_app
from clinic_app.backups import scheduler
from clinic_app.core import spool
from clinic_app.network import scheduler as network_scheduler

app = create_app()
spool.remove_stale(app.instance_path)  # export spools a killed server left behind
if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and app.config["BACKUP_AUTOMATIC"]:
    scheduler.start(app)
if app.config["NETWORK_ROLE"] != "hub" and app.config["NETWORK_AUTOMATIC"]:
    network_scheduler.start(app)
