from django.conf import settings
from django.core.paginator import Paginator


def paginate(request, qs, per_page: int | None = None):
    paginator = Paginator(qs, per_page or settings.JIUYE_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    page.querystring = query.urlencode()
    return page
