from django.urls import path

from incidents import views, views_followup, views_link

app_name = "incidents"
urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("new/", views.IncidentCreateView.as_view(), name="create"),
    path("from-alert-group/<int:group_id>/", views.FromGroupView.as_view(), name="from-group"),
    path("search/", views_link.IncidentSearchView.as_view(), name="search"),
    path("link-alert-group/<int:group_id>/", views_link.LinkGroupView.as_view(), name="link-group"),
    path("action-items/", views_followup.ActionItemsView.as_view(), name="action-items"),
    path(
        "action-items/<int:pk>/<slug:command>/",
        views_followup.ActionItemCommandView.as_view(),
        name="action-item-command",
    ),
    path("insights/", views_followup.InsightsView.as_view(), name="insights"),
    path("settings/", views_followup.SettingsView.as_view(), name="settings"),
    path("<int:pk>/", views.IncidentDetailView.as_view(), name="detail"),
    path("<int:pk>/changes/", views.IncidentChangesView.as_view(), name="changes"),
    path("<int:pk>/timeline.csv", views.TimelineExportView.as_view(), name="timeline-csv"),
    path("<int:pk>/postmortem/", views_followup.PostmortemView.as_view(), name="postmortem"),
    path("<int:pk>/postmortem/preview/", views_followup.PostmortemPreviewView.as_view(), name="postmortem-preview"),
    path("<int:pk>/postmortem.md", views_followup.PostmortemExportView.as_view(), name="postmortem-export"),
    path(
        "<int:pk>/postmortem/<slug:command>/", views_followup.PostmortemCommandView.as_view(), name="postmortem-command"
    ),
    path("<int:pk>/<slug:command>/", views.IncidentCommandView.as_view(), name="command"),
]
