"""URLs of the public pages; none of them needs a login."""

from django.urls import path

from . import views

urlpatterns = [
    path("barrierefreiheit/", views.accessibility, name="accessibility"),
    path("datenschutz/", views.privacy, name="privacy"),
]
