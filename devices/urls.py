"""Page routes of the devices app."""

from __future__ import annotations

from django.urls import path

from devices import views

app_name = "devices"
urlpatterns = [
    path("devices/", views.device_list, name="device_list"),
    path("devices/<int:pk>/", views.device_detail, name="device_detail"),
    path("devices/<int:pk>/silence/", views.device_silence, name="device_silence"),
    path("topology/", views.topology, name="topology"),
    path("tunnels/", views.tunnel_list, name="tunnel_list"),
    path("tunnels/<int:pk>/", views.tunnel_detail, name="tunnel_detail"),
    path("tunnels/<int:pk>/silence/", views.tunnel_silence, name="tunnel_silence"),
]
