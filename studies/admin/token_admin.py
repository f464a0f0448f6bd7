"""API tokens in the admin: listed with their last use, revoked; never shown or edited.

A token is created only by ``manage.py create_token``, which prints it once: the admin
holds just its hash, so there is nothing here to reveal.
"""

from __future__ import annotations

from django.contrib import admin, messages

from studies.models import ApiToken
from studies.services import tokens


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix_shown", "name", "user", "created_at", "last_used_at", "revoked")
    list_filter = ("revoked",)
    search_fields = ("name", "prefix", "user__username")
    fields = ("prefix_shown", "name", "user", "created_at", "last_used_at", "revoked")
    readonly_fields = fields
    actions = ["revoke"]

    @admin.display(description="token")
    def prefix_shown(self, token: ApiToken) -> str:
        return f"{token.prefix}…"

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        count = tokens.revoke_tokens(queryset.values_list("pk", flat=True))
        self.message_user(request, f"revoked {count} token(s)", messages.SUCCESS)

    def has_add_permission(self, request) -> bool:
        return False  # manage.py create_token USER [--name LABEL] makes them

    def has_change_permission(self, request, obj=None) -> bool:
        return False
