"""Login/logout and user management. Administrators manage only users inside their region."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiuye.accounts import actions, selectors
from jiuye.accounts.forms import (
    LoginForm,
    PasswordResetForm,
    RoleAssignForm,
    UserCreateForm,
    UserEditForm,
)
from jiuye.accounts.models import Role
from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import has_perm
from jiuye.core.errors import JiuyeError
from jiuye.regions.selectors import region_names
from jiuye.web.paging import paginate


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def _require_admin(user):
    if not has_perm(user, Perm.MANAGE_USERS):
        raise Http404


def _apply_errors(form, exc):
    """Put an action's error on the form: validation messages or the action's own message."""
    if isinstance(exc, ValidationError):
        for message in exc.messages:
            form.add_error(None, message)
    else:
        form.add_error(None, str(exc.message))


@login_required
def user_list(request):
    _require_admin(request.user)
    filters = {k: request.GET.get(k, "").strip() for k in ("q", "role", "region_code", "active")}
    page = paginate(request, selectors.user_list(request.user, **filters))
    codes = {u.home_region_code for u in page}
    codes |= {a.region_code for u in page for a in u.role_assignments.all()}
    template = "accounts/user_list.html#table" if request.htmx else "accounts/user_list.html"
    return render(
        request,
        template,
        {
            "page": page,
            "filters": filters,
            "roles": Role.choices,
            "names": region_names(codes),
        },
    )


@login_required
def user_create(request):
    _require_admin(request.user)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = actions.create_user(
                actor=request.user,
                username=data["username"],
                password=data["password"],
                home_region_code=data["home_region_code"],
                full_name=data["full_name"],
                phone=data["phone"],
                email=data["email"],
                roles=[(data["role"], data["home_region_code"])],
            )
        except (JiuyeError, ValidationError) as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("User %(name)s created.") % {"name": user.username})
            return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/user_form.html", {"form": form})


@login_required
def user_detail(request, pk):
    _require_admin(request.user)
    managed = selectors.get_user_for(request.user, pk)
    assignments = list(selectors.assignments_of(managed))
    names = region_names([managed.home_region_code, *[a.region_code for a in assignments]])
    edit_form = UserEditForm(
        initial={
            "full_name": managed.full_name,
            "phone": managed.phone,
            "email": managed.email,
            "home_region_code": managed.home_region_code,
        }
    )
    return render(
        request,
        "accounts/user_detail.html",
        {
            "managed": managed,
            "assignments": assignments,
            "names": names,
            "edit_form": edit_form,
            "role_form": RoleAssignForm(),
            "password_form": PasswordResetForm(),
            "tokens": managed.api_tokens.order_by("-created_at"),
        },
    )


def _post_action(request, pk, form_class, run, success):
    _require_admin(request.user)
    managed = selectors.get_user_for(request.user, pk)
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return redirect("accounts:user_detail", pk=pk)
    try:
        result = run(managed, form.cleaned_data if form else {})
    except (JiuyeError, ValidationError) as exc:
        for message in exc.messages if isinstance(exc, ValidationError) else [exc.message]:
            messages.error(request, message)
    else:
        messages.success(request, success(result) if callable(success) else success)
    return redirect("accounts:user_detail", pk=pk)


@login_required
@require_POST
def user_update(request, pk):
    return _post_action(
        request,
        pk,
        UserEditForm,
        lambda u, d: actions.update_user(actor=request.user, user=u, **d),
        _("Saved."),
    )


@login_required
@require_POST
def user_set_active(request, pk):
    active = request.POST.get("active") == "1"
    return _post_action(
        request,
        pk,
        None,
        lambda u, d: actions.set_user_active(actor=request.user, user=u, active=active),
        _("Account enabled.") if active else _("Account disabled."),
    )


@login_required
@require_POST
def user_set_password(request, pk):
    return _post_action(
        request,
        pk,
        PasswordResetForm,
        lambda u, d: actions.set_password(actor=request.user, user=u, password=d["password"]),
        _("Password changed."),
    )


@login_required
@require_POST
def user_unlock(request, pk):
    return _post_action(
        request,
        pk,
        None,
        lambda u, d: actions.unlock_user(actor=request.user, user=u),
        _("Login lock cleared."),
    )


@login_required
@require_POST
def role_assign(request, pk):
    return _post_action(
        request,
        pk,
        RoleAssignForm,
        lambda u, d: actions.assign_role(
            actor=request.user, user=u, role=d["role"], region_code=d["region_code"]
        ),
        _("Role assigned."),
    )


@login_required
@require_POST
def role_revoke(request, pk, assignment_pk):
    def run(managed, data):
        assignment = get_object_or_404(managed.role_assignments, pk=assignment_pk)
        actions.revoke_role(actor=request.user, assignment=assignment)

    return _post_action(request, pk, None, run, _("Role revoked."))


@login_required
@require_POST
def token_create(request, pk):
    name = request.POST.get("name", "").strip() or _("API token")

    def run(managed, data):
        return actions.create_api_token(actor=request.user, user=managed, name=name)[1]

    return _post_action(
        request,
        pk,
        None,
        run,
        lambda clear: _("New token (shown only once, copy it now): %(token)s") % {"token": clear},
    )


@login_required
@require_POST
def token_revoke(request, pk, token_pk):
    def run(managed, data):
        actions.revoke_api_token(
            actor=request.user, token=get_object_or_404(managed.api_tokens, pk=token_pk)
        )

    return _post_action(request, pk, None, run, _("Token revoked."))
