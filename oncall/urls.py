from django.urls import path

from oncall import views, views_people, views_policies, views_public, views_schedules

app_name = "oncall"
urlpatterns = [
    path("a/<str:token>/", views_public.ActionLinkView.as_view(), name="action-link"),
    path("feed/<str:token>.ics", views_public.PersonFeedView.as_view(), name="person-feed"),
    path("", views.HomeView.as_view(), name="home"),
    path("page/", views.PageView.as_view(), name="page"),
    path("notifications/", views.NotificationsView.as_view(), name="notifications"),
    path("schedules/new/", views_schedules.ScheduleEditView.as_view(), name="schedule-new"),
    path("schedules/<int:pk>/", views_schedules.ScheduleDetailView.as_view(), name="schedule"),
    path("schedules/<int:pk>/edit/", views_schedules.ScheduleEditView.as_view(), name="schedule-edit"),
    path("schedules/<int:pk>/delete/", views_schedules.ScheduleDeleteView.as_view(), name="schedule-delete"),
    path("schedules/<int:pk>/layers/new/", views_schedules.LayerEditView.as_view(), name="layer-new"),
    path("schedules/<int:pk>/layers/<int:layer_pk>/", views_schedules.LayerEditView.as_view(), name="layer-edit"),
    path(
        "schedules/<int:pk>/layers/<int:layer_pk>/delete/",
        views_schedules.LayerDeleteView.as_view(),
        name="layer-delete",
    ),
    path("schedules/<int:pk>/overrides/", views_schedules.OverrideCreateView.as_view(), name="override-new"),
    path(
        "schedules/<int:pk>/overrides/<int:override_pk>/delete/",
        views_schedules.OverrideDeleteView.as_view(),
        name="override-delete",
    ),
    path("schedules/<int:pk>/swaps/", views_schedules.SwapOfferView.as_view(), name="swap-new"),
    path(
        "schedules/<int:pk>/swaps/<int:swap_pk>/<str:action>/",
        views_schedules.SwapActionView.as_view(),
        name="swap-action",
    ),
    path("schedules/<int:pk>/ical/url/", views_schedules.IcalUrlView.as_view(), name="ical-url"),
    path("schedules/<int:pk>/ical/upload/", views_schedules.IcalUploadView.as_view(), name="ical-upload"),
    path("people/<int:pk>/", views_people.PersonView.as_view(), name="person"),
    path("me/", views_people.PersonView.as_view(), name="me"),
    path("me/methods/", views_people.ContactMethodCreateView.as_view(), name="method-new"),
    path("me/methods/<int:method_pk>/test/", views_people.ContactMethodTestView.as_view(), name="method-test"),
    path("me/methods/<int:method_pk>/delete/", views_people.ContactMethodDeleteView.as_view(), name="method-delete"),
    path("me/rules/<str:chain>/", views_people.RulesView.as_view(), name="rules"),
    path("me/feed/", views_people.FeedTokenView.as_view(), name="feed-token"),
    path("teams/", views_people.TeamsView.as_view(), name="teams"),
    path("teams/new/", views_people.TeamEditView.as_view(), name="team-new"),
    path("teams/<int:pk>/", views_people.TeamEditView.as_view(), name="team-edit"),
    path("teams/<int:pk>/delete/", views_people.TeamDeleteView.as_view(), name="team-delete"),
    path("policies/", views_policies.PoliciesView.as_view(), name="policies"),
    path("policies/severity/", views_policies.SeverityPolicyView.as_view(), name="severity-set"),
    path("policies/new/", views_policies.PolicyCreateView.as_view(), name="policy-new"),
    path("policies/<int:pk>/", views_policies.PolicyView.as_view(), name="policy"),
    path("policies/<int:pk>/routes/", views_policies.PolicyRouteView.as_view(), name="policy-route"),
    path("policies/<int:pk>/delete/", views_policies.PolicyDeleteView.as_view(), name="policy-delete"),
]
