from django.urls import path

from oncall import views_public

app_name = "oncall"
urlpatterns = [
    path("a/<str:token>/", views_public.ActionLinkView.as_view(), name="action-link"),
    path("feed/<str:token>.ics", views_public.PersonFeedView.as_view(), name="person-feed"),
]
