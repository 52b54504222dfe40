"""Production entry point, served by waitress: ``waitress-serve --listen=127.0.0.1:5000 wsgi:app``."""

from clinic_app import create_app

app = create_app()
