from django.urls import path

from jiuye.regions import views

app_name = "regions"
urlpatterns = [
    path("", views.region_home, name="home"),
    path("search/", views.region_search, name="search"),
    path("service-points/", views.service_point_list, name="service_points"),
    path("service-points/export/", views.service_point_export, name="service_point_export"),
    path("service-points/new/", views.service_point_edit, name="service_point_create"),
    path("service-points/<int:pk>/", views.service_point_detail, name="service_point_detail"),
    path("service-points/<int:pk>/edit/", views.service_point_edit, name="service_point_edit"),
    path("<str:code>/", views.region_detail, name="detail"),
]
