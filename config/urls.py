"""URL configuration: login, admin, health check, public pages (accessibility, privacy) and the monitoring pages."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.health import healthz
from pages.views import LogoutView

handler500 = "config.middleware.server_error"

admin.site.site_header = "Digitalisierungsmonitor – Verwaltung"
admin.site.site_title = "Digitalisierungsmonitor"
admin.site.index_title = "Stammdaten und Erhebungen"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("anmelden/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("abmelden/", LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("pages.urls")),
    path("", include("monitoring.urls")),
]
