from django.urls import path

from jiuye.jobs import views

app_name = "jobs"

urlpatterns = [
    path("", views.posting_list, name="postings"),
    path("export/", views.posting_export, name="posting_export"),
    path("new/", views.posting_create, name="posting_create"),
    path("review/", views.review_queue, name="review_queue"),
    path("<int:pk>/", views.posting_detail, name="posting_detail"),
    path("<int:pk>/edit/", views.posting_edit, name="posting_edit"),
    path("<int:pk>/submit/", views.posting_submit, name="posting_submit"),
    path("<int:pk>/approve/", views.posting_approve, name="posting_approve"),
    path("<int:pk>/reject/", views.posting_reject, name="posting_reject"),
    path("<int:pk>/withdraw/", views.posting_withdraw, name="posting_withdraw"),
    path("<int:pk>/apply/", views.posting_apply, name="posting_apply"),
    path(
        "applications/<int:pk>/interview/",
        views.application_interview,
        name="application_interview",
    ),
    path("applications/<int:pk>/offer/", views.application_offer, name="application_offer"),
    path("applications/<int:pk>/hire/", views.application_hire, name="application_hire"),
    path("applications/<int:pk>/reject/", views.application_reject, name="application_reject"),
    path(
        "applications/<int:pk>/withdraw/",
        views.application_withdraw,
        name="application_withdraw",
    ),
    path("interviews/<int:pk>/result/", views.interview_result, name="interview_result"),
    path("people/<int:pk>/applications/", views.person_applications, name="person_applications"),
    path("fairs/", views.fair_list, name="fairs"),
    path("fairs/new/", views.fair_create, name="fair_create"),
    path("fairs/<int:pk>/", views.fair_detail, name="fair_detail"),
    path("fairs/<int:pk>/edit/", views.fair_edit, name="fair_edit"),
    path("fairs/<int:pk>/employers/", views.fair_add_employer, name="fair_add_employer"),
    path("fairs/<int:pk>/attendees/", views.fair_register, name="fair_register"),
    path("fairs/<int:pk>/intentions/", views.fair_intention, name="fair_intention"),
    path("fairs/<int:pk>/status/", views.fair_status, name="fair_status"),
    path("fairs/<int:pk>/results/", views.fair_results, name="fair_results"),
    path("fairs/<int:pk>/results.xlsx", views.fair_results_export, name="fair_results_export"),
    path("fairs/participants/<int:pk>/postings/", views.fair_add_posting, name="fair_add_posting"),
    path("fairs/attendees/<int:pk>/check-in/", views.fair_checkin, name="fair_checkin"),
    path("fairs/intentions/<int:pk>/outcome/", views.intention_outcome, name="intention_outcome"),
]
