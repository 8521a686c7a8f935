"""Document endpoints: a case's documents, the PDF download and public verification. Who may read what
comes from applications.documents.selectors, as on the portal."""

from __future__ import annotations

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from applications.documents.models import Document
from applications.documents.selectors import can_download, document_by_code, documents_for_application
from applications.visibility import cases_visible_to
from invest.api.core import ErrorSerializer

from .serializers import DocumentSerializer, VerificationSerializer


@extend_schema(summary="Documents issued on a case, oldest first", tags=["applications"])
class ApplicationDocumentsView(generics.ListAPIView):
    serializer_class = DocumentSerializer

    def get_queryset(self):
        case = cases_visible_to(self.request.user).filter(pk=self.kwargs["pk"]).first()
        if case is None:
            raise exceptions.NotFound()
        return documents_for_application(case)


class DocumentPdfView(APIView):
    """The PDF file; 202 while it is still being generated. Anyone who may not read it gets 404."""

    def perform_content_negotiation(self, request, force=False):
        # The file itself is not rendered by DRF; every other answer (errors, 202) is JSON, whatever Accept says.
        return (JSONRenderer(), "application/json")

    @extend_schema(
        summary="Download a document's PDF",
        tags=["documents"],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF file."),
            202: OpenApiResponse(ErrorSerializer, description="Still being generated; retry after Retry-After."),
        },
    )
    def get(self, request: Request, pk: int):
        document = Document.objects.select_related("application", "batch").filter(pk=pk).first()
        if document is None or not can_download(request.user, document)[0]:
            raise exceptions.NotFound()
        if not document.is_rendered:
            return Response(
                {"code": "pending", "detail": _("文书正在生成，请稍后重试。")},
                status=status.HTTP_202_ACCEPTED,
                headers={"Retry-After": "5"},
            )
        response = FileResponse(
            document.file.open("rb"),
            content_type="application/pdf",
            as_attachment=True,
            filename=f"{document.number}.pdf",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class VerifyView(APIView):
    """Anyone may check a printed document by its verification code."""

    permission_classes = [AllowAny]

    @extend_schema(summary="Verify a document by its code", tags=["documents"], responses={200: VerificationSerializer})
    def get(self, request: Request, code: str) -> Response:
        document = document_by_code(code)
        if document is None:
            raise exceptions.NotFound(_("没有与该核验码对应的文书。请检查核验码是否输入正确（16位，不区分大小写）。"))
        return Response(VerificationSerializer(document).data)
