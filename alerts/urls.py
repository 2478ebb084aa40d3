from django.urls import path

from alerts import views, views_config, views_rules, views_triage

app_name = "alerts"
urlpatterns = [
    path("", views_triage.IndexView.as_view(), name="index"),
    path("bulk/", views_triage.BulkActionView.as_view(), name="bulk"),
    path("groups/<int:pk>/", views.GroupDetailView.as_view(), name="group"),
    path("groups/<int:pk>/<str:action>/", views.GroupActionView.as_view(), name="group-action"),
    path("alert/<int:pk>/resolve/", views.AlertResolveView.as_view(), name="alert-resolve"),
    path("silences/", views.SilenceListView.as_view(), name="silences"),
    path("silences/new/", views.SilenceCreateView.as_view(), name="silence-new"),
    path("silences/<uuid:pk>/expire/", views.SilenceExpireView.as_view(), name="silence-expire"),
    path("notifications/", views.NotificationsView.as_view(), name="notifications"),
    path("routes/", views_config.RoutesView.as_view(), name="routes"),
    path("routes/test/", views_config.RouteTestView.as_view(), name="route-test"),
    path("routes/import/", views_config.RouteImportView.as_view(), name="route-import"),
    path("routes/new/", views_config.RouteEditView.as_view(), name="route-new"),
    path("routes/<int:pk>/", views_config.RouteEditView.as_view(), name="route-edit"),
    path("routes/inhibit-rules/new/", views_rules.InhibitRuleEditView.as_view(), name="inhibit-rule-new"),
    path("routes/inhibit-rules/<int:pk>/", views_rules.InhibitRuleEditView.as_view(), name="inhibit-rule-edit"),
    path("routes/time-intervals/new/", views_rules.TimeIntervalEditView.as_view(), name="time-interval-new"),
    path("routes/time-intervals/<int:pk>/", views_rules.TimeIntervalEditView.as_view(), name="time-interval-edit"),
    path("receivers/", views_config.ReceiversView.as_view(), name="receivers"),
    path("receivers/new/", views_config.ReceiverEditView.as_view(), name="receiver-new"),
    path("receivers/<int:pk>/", views_config.ReceiverEditView.as_view(), name="receiver-edit"),
    path("receivers/<int:pk>/test/", views_config.ReceiverTestView.as_view(), name="receiver-test"),
    path("maintenance/", views_config.MaintenanceView.as_view(), name="maintenance"),
]
