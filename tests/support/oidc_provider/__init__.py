"""A small OpenID provider (django-oidc-provider) that tests run as a separate process on loopback.

``bootstrap`` migrates its own SQLite database, creates the RSA signing key, registers our app as a client and
creates users whose ``groups`` claim the role mapping is tested with; gunicorn then serves ``wsgi``.
"""
