"""HTTPS on the clinic network: the clinic's own certificate authority, its server certificate,
the CA file phones install once, and the TLS server (cheroot) used when serving beyond 127.0.0.1."""
