from django.urls import include, path

from jiuye.registry import import_urls, views

app_name = "registry"
urlpatterns = [
    path("people/", views.person_list, name="people"),
    path("people/export/", views.person_export, name="person_export"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/merge/", views.person_merge, name="person_merge"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/full-id/", views.person_full_id, name="person_full_id"),
    path("people/<int:pk>/events/", views.event_create, name="event_create"),
    path("people/<int:pk>/memberships/", views.membership_create, name="membership_create"),
    path("people/<int:pk>/certificates/", views.certificate_create, name="certificate_create"),
    path("people/<int:pk>/intentions/", views.intention_create, name="intention_create"),
    path("households/", views.household_list, name="households"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/members/", views.household_add_member, name="household_add_member"),
    path("employers/", views.employer_list, name="employers"),
    path("employers/export/", views.employer_export, name="employer_export"),
    path("employers/new/", views.employer_create, name="employer_create"),
    path("employers/<int:pk>/", views.employer_detail, name="employer_detail"),
    path("brands/", views.brand_list, name="brands"),
    path("duplicates/", views.duplicate_list, name="duplicates"),
    path("import/", include(import_urls.urlpatterns)),
]
