"""Identity: sign-in throttling and lockout (django-axes), single sign-on (OpenID Connect), TOTP MFA with recovery
codes (django-otp), the forced password change, API-token failure throttling and the Content-Security-Policy."""
