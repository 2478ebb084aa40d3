"""Sign-in, second factor, password change, Settings → Security and single sign-on (``/oidc/``)."""

from django.urls import path
from django.views.generic import RedirectView

from sre.identity import oidc, views

urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/verify/", views.MfaVerifyView.as_view(), name="mfa-verify"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("settings/security/", views.SecurityView.as_view(), name="security"),
    # One sign-in page (lockout message, second factor, SSO) for the admin site too.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True), name="admin-login"),
    # mozilla-django-oidc's own urls module picks its view classes when first imported; ours read settings per request.
    path("oidc/authenticate/", oidc.AuthenticationRequestView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", oidc.CallbackView.as_view(), name="oidc_authentication_callback"),
]
