"""English texts beside the Chinese policy data (django-modeltranslation).

Each registered field gets `<field>_zh_hans` and `<field>_en` columns; reading `<field>` gives the active
language's text, falling back to Chinese where no English was entered. Chinese stays the canonical text: the
original column keeps it, and migration 0004 copied it into `<field>_zh_hans`.
"""

from modeltranslation.translator import TranslationOptions, register

from .models import Criterion, Policy, SupportItem


@register(Policy)
class PolicyTranslation(TranslationOptions):
    fields = ("title",)


@register(SupportItem)
class SupportItemTranslation(TranslationOptions):
    fields = ("name", "description", "amount_explanation", "cap_note")


@register(Criterion)
class CriterionTranslation(TranslationOptions):
    fields = ("label", "failure_message", "success_message")
