from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import scope_for
from jiuye.regions.selectors import region_path, service_point_list, top_regions_for


@login_required
def home(request):
    user = request.user
    assignments = list(user.role_assignments.order_by("region_code", "role"))
    return render(
        request,
        "web/home.html",
        {
            "assignments": [(a, region_path(a.region_code)) for a in assignments],
            "regions": top_regions_for(user),
            "point_count": service_point_list(user).count(),
            "everything": scope_for(user, Perm.VIEW).everything,
        },
    )
