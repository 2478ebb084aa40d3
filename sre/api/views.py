"""API views of the project package: the caller, and API tokens."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sre.api.permissions import OWN, READ
from sre.api.serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenCreateSerializer,
    ApiTokenSerializer,
    MeSerializer,
)
from sre.auth.roles import user_role
from sre.models import ApiToken
from sre.selectors import api_token_list
from sre.services import api_token_create, api_token_revoke


class MeView(APIView):
    """Who the caller is: user, role and (for token requests) the token's scopes."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        scopes = request.auth.scopes if isinstance(request.auth, ApiToken) else None
        data = {"username": request.user.get_username(), "role": user_role(request.user), "token_scopes": scopes}
        return Response(MeSerializer(data).data)


class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your API tokens (admins see all). ``DELETE`` revokes; the row stays for the audit trail."""

    serializer_class = ApiTokenSerializer
    queryset = ApiToken.objects.none()  # the real one is per user, in get_queryset
    access = {"list": READ, "retrieve": READ, "create": OWN, "destroy": OWN}
    filterset_fields = ["user"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return api_token_list(user=self.request.user)

    @extend_schema(request=ApiTokenCreateSerializer, responses={201: ApiTokenCreatedSerializer})
    def create(self, request: Request) -> Response:
        payload = ApiTokenCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        token, plaintext = api_token_create(
            user=request.user,
            name=data["name"],
            scopes=data["scopes"],
            expires_at=data.get("expires_at"),
            now=timezone.now(),
            parent=request.auth if isinstance(request.auth, ApiToken) else None,
        )
        token.token = plaintext
        return Response(ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        api_token_revoke(token=self.get_object(), now=timezone.now())
        return Response(status=status.HTTP_204_NO_CONTENT)
