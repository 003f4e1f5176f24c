from django import template

from jiuye.core.masking import mask_id_number, mask_phone

register = template.Library()


@register.filter
def get_item(mapping, key):
    if mapping is None:
        return None
    return mapping.get(key)


@register.filter
def masked_id(value):
    return mask_id_number(value)


@register.filter
def masked_phone(value):
    return mask_phone(value)


@register.inclusion_tag("web/_panels.html", takes_context=True)
def detail_panels(context, page, obj):
    from jiuye.web.panels import panels_for

    return {"panels": panels_for(page, obj, context["request"].user)}
