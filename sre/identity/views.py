"""Sign-in, the second-factor step, password change and Settings → Security (MFA, recovery codes, unlock)."""

from __future__ import annotations

import base64
import io
from typing import Any

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django_otp.plugins.otp_static.models import StaticDevice

from sre.auth.roles import user_has_role
from sre.choices import Role
from sre.identity import services
from sre.identity.lockout import lockout_list, login_unlock
from sre.identity.oidc import sso_enabled
from sre.identity.selectors import mfa_enabled, mfa_state, recovery_codes_left
from sre.identity.session import state_get, state_update

ENROL_SESSION_KEY = "sre_totp_enrol"


def _break_glass(request: HttpRequest) -> bool:
    return "break-glass" in request.GET or request.POST.get("break-glass") == "1"


def login_context(request: HttpRequest, *, form: AuthenticationForm) -> dict[str, Any]:
    """What the sign-in page shows: the password form unless local sign-in is off, the SSO button when on."""
    next_url = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    break_glass = _break_glass(request)
    return {
        "form": form,
        "next": next_url,
        "sso_enabled": sso_enabled(),
        "local_login": settings.SRE["LOCAL_LOGIN"] or break_glass,
        "break_glass": break_glass and not settings.SRE["LOCAL_LOGIN"],
        "sso_failed": request.GET.get("sso") == "failed",
    }


class LoginView(auth_views.LoginView):
    """Django's sign-in (axes counts its failures); with SRE_LOCAL_LOGIN=false only the SSO button shows."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(login_context(self.request, form=context["form"]))
        return context


def _safe_next(request: HttpRequest, default: str = "overview") -> str:
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse(default)


class MfaVerifyView(LoginRequiredMixin, View):
    """After a password sign-in: a code from the authenticator app or one recovery code."""

    template_name = "registration/mfa_verify.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if state_get(request)["verified"] or not state_get(request)["device"]:
            return redirect(_safe_next(request))
        return render(request, self.template_name, {"next": request.GET.get(REDIRECT_FIELD_NAME, "")})

    def post(self, request: HttpRequest) -> HttpResponse:
        device = services.mfa_verify(user=request.user, code=request.POST.get("code", ""))
        if device is None:
            context = {"next": request.POST.get(REDIRECT_FIELD_NAME, ""), "error": "That code is not valid."}
            return render(request, self.template_name, context, status=400)
        django_otp.login(request, device)
        state_update(request, verified=True)
        if isinstance(device, StaticDevice):
            left = recovery_codes_left(device)
            messages.warning(request, f"Recovery code used; {left} left. Regenerate them in Settings → Security.")
        return redirect(_safe_next(request))


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change with our template; clears the forced change of the one-time password."""

    template_name = "registration/password_change.html"
    success_url = reverse_lazy("overview")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)  # saves and keeps this session signed in
        services.password_changed(user=self.request.user, now=timezone.now())
        state_update(self.request, password=False)
        messages.success(self.request, "Password changed.")
        return response


def _qr_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


class SecurityView(LoginRequiredMixin, View):
    """Settings → Security: two-factor authentication, recovery codes, password; locked sign-ins for admins."""

    template_name = "sre/security.html"

    def context(self, request: HttpRequest, **extra: Any) -> dict[str, Any]:
        user = request.user
        mfa = mfa_state(user=user, pending_device_id=request.session.get(ENROL_SESSION_KEY))
        pending = mfa.pending
        state = state_get(request)
        context = {
            "mfa_enabled": mfa.enabled,
            "recovery_left": mfa.recovery_left,
            "pending": pending,
            "sso_session": state["sso"],
            "has_password": user.has_usable_password(),
            "require_mfa": settings.SRE["REQUIRE_MFA"],
            "is_admin": user_has_role(user, Role.ADMIN),
            **extra,
        }
        if pending is not None:
            context["qr"] = _qr_data_uri(pending.config_url)
            context["secret"] = base64.b32encode(pending.bin_key).decode("ascii")
        if context["is_admin"]:
            context["lockouts"] = lockout_list(now=timezone.now())
        return context

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, self.context(request))

    def post(self, request: HttpRequest) -> HttpResponse:
        action = request.POST.get("action", "")
        handler = {
            "totp-start": self._start,
            "totp-confirm": self._confirm,
            "recovery-regenerate": self._regenerate,
            "disable": self._disable,
            "unlock": self._unlock,
        }.get(action)
        if handler is None:
            messages.error(request, "Unknown action.")
            return redirect("security")
        return handler(request)

    def _start(self, request: HttpRequest) -> HttpResponse:
        device = services.mfa_totp_start(user=request.user)
        request.session[ENROL_SESSION_KEY] = device.pk
        return redirect("security")

    def _confirm(self, request: HttpRequest) -> HttpResponse:
        device_id = request.session.get(ENROL_SESSION_KEY)
        result = None
        if device_id:
            result = services.mfa_totp_confirm(
                user=request.user, device_id=device_id, code=request.POST.get("code", "")
            )
        if result is None:
            context = self.context(request, confirm_error="That code is not valid; check the time on your device.")
            return render(request, self.template_name, context, status=400)
        device, codes = result
        del request.session[ENROL_SESSION_KEY]
        django_otp.login(request, device)
        state_update(request, device=True, verified=True)
        messages.success(request, "Two-factor authentication is on.")
        return render(request, self.template_name, self.context(request, recovery_codes=codes))

    def _regenerate(self, request: HttpRequest) -> HttpResponse:
        if not mfa_enabled(user=request.user):
            messages.error(request, "Set up an authenticator app first.")
            return redirect("security")
        codes = services.mfa_recovery_codes_generate(user=request.user)
        messages.success(request, "New recovery codes; the old ones no longer work.")
        return render(request, self.template_name, self.context(request, recovery_codes=codes))

    def _disable(self, request: HttpRequest) -> HttpResponse:
        if not request.user.check_password(request.POST.get("password", "")):
            context = self.context(request, disable_error="Wrong password; two-factor authentication is still on.")
            return render(request, self.template_name, context, status=400)
        services.mfa_disable(user=request.user)
        state_update(request, device=False, verified=False)
        messages.success(request, "Two-factor authentication is off.")
        return redirect("security")

    def _unlock(self, request: HttpRequest) -> HttpResponse:
        if not user_has_role(request.user, Role.ADMIN):
            raise PermissionDenied("Unlocking sign-ins needs the admin role.")
        kind, value = request.POST.get("kind"), request.POST.get("value", "")
        if kind not in ("username", "address") or not value:
            messages.error(request, "Nothing to unlock.")
            return redirect("security")
        login_unlock(username=value if kind == "username" else None, address=value if kind == "address" else None)
        messages.success(request, f"Unlocked {kind} {value}.")
        return redirect("security")
