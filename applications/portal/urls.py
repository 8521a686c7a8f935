from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    # applicant
    path("my/cases/", views.my_cases, name="my_cases"),
    path("my/apply/<str:code>/", views.apply, name="apply"),
    path("my/apply/<str:code>/evaluate", views.evaluate, name="evaluate"),
    path("my/cases/<int:pk>/", views.case, name="case"),
    path("my/cases/<int:pk>/evaluate", views.case_evaluate, name="case_evaluate"),
    path("my/cases/<int:pk>/save", views.case_save, name="case_save"),
    path("my/cases/<int:pk>/materials/<str:key>", views.material_upload, name="material_upload"),
    path("my/cases/<int:pk>/materials/<str:key>/from-store", views.material_from_store, name="material_from_store"),
    path("my/cases/<int:pk>/submit", views.case_submit, name="case_submit"),
    path("my/cases/<int:pk>/withdraw", views.case_withdraw, name="case_withdraw"),
    path("materials/<int:pk>", views.material, name="material"),
    path("materials/<int:pk>/preview.png", views.material_preview, name="material_preview"),
    # workbench
    path("workbench/", views.workbench, name="workbench"),
    path("workbench/bulk", views.bulk, name="bulk"),
    path("workbench/cases/<int:pk>/", views.staff_case, name="staff_case"),
    path("workbench/cases/<int:pk>/act/<str:key>", views.staff_act, name="staff_act"),
    path("workbench/cases/<int:pk>/opinion", views.staff_opinion, name="staff_opinion"),
    path("workbench/cases/<int:pk>/declaration", views.staff_declare, name="staff_declare"),
    path("workbench/cases/<int:pk>/assign", views.staff_assign, name="staff_assign"),
    path("workbench/batches/<int:pk>/", views.batch, name="batch"),
    # manager
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/cases.xlsx", views.export, name="export"),
    # public
    path("notices/", views.notices, name="notices"),
    path("notices/<int:pk>/objection", views.objection, name="objection"),
]
