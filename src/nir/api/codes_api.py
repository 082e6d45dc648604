"""``/codes``: the published code lists (kodeverk) with validity windows."""

from django.http import HttpRequest
from ninja import Router, Status

from nir import codes
from nir.api.errors import ApiProblem
from nir.api.schemas import PROBLEMS, CodeListOut, CodeListSummary

router = Router(tags=["codes"])


def code_list_out(cl: codes.CodeList) -> dict:
    return {
        "name": cl.name,
        "title": cl.title,
        "source": cl.source,
        "codes": [
            {
                "code": c.code,
                "label": c.label,
                "valid_from": c.valid_from,
                "valid_to": c.valid_to,
                "description": c.description,
                "group": c.group,
                "source": c.source,
                "verified": c.verified,
            }
            for c in cl.codes
        ],
    }


@router.get("/codes", response={200: list[CodeListSummary], **PROBLEMS}, summary="The code lists")
def list_codes(request: HttpRequest):
    return Status(
        200,
        [
            {
                "name": cl.name,
                "title": cl.title,
                "source": cl.source,
                "count": len(cl.codes),
                "url": f"{request.path.rstrip('/')}/{cl.name}",
            }
            for cl in codes.all_lists().values()
        ],
    )


@router.get("/codes/{name}", response={200: CodeListOut, **PROBLEMS}, summary="One code list")
def get_code_list(request: HttpRequest, name: str):
    cl = codes.all_lists().get(name)
    if cl is None:
        raise ApiProblem(404, f"Ukjent kodeverk {name[:50]!r}; kodeverkene er: {', '.join(codes.all_lists())}.")
    return Status(200, code_list_out(cl))
