"""The web portal: applicant pages, the reviewer workbench, the manager dashboard and the public pages.

Thin views: every change goes through applications.services (perform, create_draft, update_draft,
add_material, give_opinion, assign_experts, start_public_notice, file_objection); a refusal comes back as
TransitionRefused and is shown with its reason next to the form that caused it. Which actions a user sees
comes from allowed_transitions, i.e. from the one workflow table. One module per audience: applicant, office
(workbench and dashboard), public; common holds what they share.
"""

from .applicant import (
    apply,
    case,
    case_evaluate,
    case_save,
    case_submit,
    case_withdraw,
    evaluate,
    material_from_store,
    material_upload,
    my_cases,
)
from .common import CASES_PAGE_SIZE, QUEUE_PAGE_SIZE
from .materials import material, material_preview
from .office import (
    batch,
    bulk,
    dashboard,
    export,
    staff_act,
    staff_assign,
    staff_case,
    staff_declare,
    staff_opinion,
    workbench,
)
from .public import notices, objection

__all__ = [
    "CASES_PAGE_SIZE",
    "QUEUE_PAGE_SIZE",
    "apply",
    "batch",
    "bulk",
    "case",
    "case_evaluate",
    "case_save",
    "case_submit",
    "case_withdraw",
    "dashboard",
    "evaluate",
    "export",
    "material",
    "material_from_store",
    "material_preview",
    "material_upload",
    "my_cases",
    "notices",
    "objection",
    "staff_act",
    "staff_assign",
    "staff_case",
    "staff_declare",
    "staff_opinion",
    "workbench",
]
