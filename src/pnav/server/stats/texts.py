"""The statistics page's texts in English and French (the console's two languages).

The page is drawn by the server with no script, so its words live here rather than in
the widget's locale tables; the keys follow the console's. ``texts(lang)`` gives one
language's table; :func:`period_label` names a period of the "started" series.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["LANGS", "period_label", "texts"]

LANGS: Final = ("en", "fr")

_EN: dict[str, str] = {
    "title": "pnav statistics, {span}",
    "heading": "Activity, {span}",
    "span": "{first} to {last}",
    "back": "Back to the console",
    "intro": (
        "Conversations started in the range (server local time), counts only. Outcomes "
        "count closed conversations; waits and durations, conversations taken and never "
        "transferred."
    ),
    "from": "From",
    "to": "to",
    "started_by": "Started",
    "per.day": "per day",
    "per.week": "per week",
    "per.month": "per month",
    "show": "Show",
    "csv": "Download as CSV",
    "print": (
        "To print this page, use your browser's Print command: the form and links are left out."
    ),
    "totals": "Totals",
    "total.started": "Conversations started",
    "total.taken": "Taken by an operator",
    "total.closed": "Closed",
    "total.reports": "Reports (outcome: report)",
    "total.emergencies": "Emergencies (outcome: emergency)",
    "total.danger": "Flagged as danger",
    "total.quick_exits": "Quick exits",
    "total.left_unanswered": "Left before an answer",
    "median_wait": "Median wait before being taken ({count} measured)",
    "report_share": "Closed conversations that led to a report",
    "no_closed": "no conversation closed",
    "none_taken": "none taken",
    "chart.category": "Conversations by category",
    "chart.outcome": "Closed conversations by outcome",
    "chart.who": "Conversations by who is writing",
    "chart.language": "Conversations by language",
    "chart.wait_time": "Wait before being taken (conversations never transferred)",
    "chart.duration": "From taken to closed (conversations never transferred)",
    "chart.left_wait": "How long people waited before leaving unanswered",
    "chart.started": "Conversations started per {grain}",
    "grain.day": "day",
    "grain.week": "week",
    "grain.month": "month",
    "table.item": "Item",
    "table.count": "Count",
    "in_all": "{total} in all. {listed}.",
    "no_data": "no data",
    "no_conversations": "No conversations",
    "what.sexual": "Sexual violence",
    "what.sexist": "Sexist violence",
    "what.domestic": "Domestic violence",
    "what.intra_family": "Intra-family violence",
    "what.cyber_harassment": "Cyber-harassment",
    "what.discrimination": "Discrimination",
    "what.other": "Other",
    "who.victim": "Victim",
    "who.relative": "Relative",
    "who.witness": "Witness",
    "who.professional": "Professional",
    "outcome.information": "Information",
    "outcome.referral": "Referral",
    "outcome.report": "Report",
    "outcome.emergency": "Emergency",
    "outcome.person_left": "Person left",
    "outcome.abuse": "Closed as abuse",
}

_FR: dict[str, str] = {
    "title": "Statistiques pnav, {span}",
    "heading": "Activité, {span}",
    "span": "du {first} au {last}",
    "back": "Retour à la console",
    "intro": (
        "Discussions commencées dans la période (heure locale du serveur), des comptes "
        "seulement. Les issues comptent les discussions closes ; les attentes et les "
        "durées, les discussions prises et jamais transférées."
    ),
    "from": "Du",
    "to": "au",
    "started_by": "Commencées",
    "per.day": "par jour",
    "per.week": "par semaine",
    "per.month": "par mois",
    "show": "Afficher",
    "csv": "Télécharger en CSV",
    "print": (
        "Pour imprimer cette page, utilisez la commande Imprimer du navigateur : le "
        "formulaire et les liens sont omis."
    ),
    "totals": "Totaux",
    "total.started": "Discussions commencées",
    "total.taken": "Prises par un·e opérateur·rice",
    "total.closed": "Closes",
    "total.reports": "Signalements (issue : signalement)",
    "total.emergencies": "Urgences (issue : urgence)",
    "total.danger": "Signalées en danger",
    "total.quick_exits": "Sorties rapides",
    "total.left_unanswered": "Parties avant une réponse",
    "median_wait": "Attente médiane avant la prise en charge ({count} mesurées)",
    "report_share": "Discussions closes ayant donné lieu à un signalement",
    "no_closed": "aucune discussion close",
    "none_taken": "aucune prise",
    "chart.category": "Discussions par catégorie",
    "chart.outcome": "Discussions closes par issue",
    "chart.who": "Discussions selon qui écrit",
    "chart.language": "Discussions par langue",
    "chart.wait_time": "Attente avant la prise en charge (discussions jamais transférées)",
    "chart.duration": "De la prise en charge à la clôture (discussions jamais transférées)",
    "chart.left_wait": "Attente des personnes parties sans réponse",
    "chart.started": "Discussions commencées par {grain}",
    "grain.day": "jour",
    "grain.week": "semaine",
    "grain.month": "mois",
    "table.item": "Élément",
    "table.count": "Nombre",
    "in_all": "{total} au total. {listed}.",
    "no_data": "aucune donnée",
    "no_conversations": "Aucune discussion",
    "what.sexual": "Violences sexuelles",
    "what.sexist": "Violences sexistes",
    "what.domestic": "Violences conjugales",
    "what.intra_family": "Violences intrafamiliales",
    "what.cyber_harassment": "Cyberharcèlement",
    "what.discrimination": "Discriminations",
    "what.other": "Autre",
    "who.victim": "Victime",
    "who.relative": "Proche",
    "who.witness": "Témoin",
    "who.professional": "Professionnel·le",
    "outcome.information": "Information",
    "outcome.referral": "Orientation",
    "outcome.report": "Signalement",
    "outcome.emergency": "Urgence",
    "outcome.person_left": "Personne partie",
    "outcome.abuse": "Close pour abus",
}

_TABLES = {"en": _EN, "fr": _FR}
_MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "fr": [
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ],
}


def texts(lang: str) -> dict[str, str]:
    """One language's table (English for any other)."""
    return _TABLES.get(lang, _EN)


def period_label(key: str, lang: str) -> str:
    """``2026-03-14`` → "14 Mar" / "14 mars"; ``2026-W11`` → "W11" / "S11";
    ``2026-03`` → "Mar 2026" / "mars 2026"."""
    months = _MONTHS.get(lang, _MONTHS["en"])
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", key):
        return f"{int(m[3])} {months[int(m[2]) - 1]}"
    if m := re.fullmatch(r"(\d{4})-W(\d{2})", key):
        return f"{'S' if lang == 'fr' else 'W'}{m[2]}"
    if m := re.fullmatch(r"(\d{4})-(\d{2})", key):
        return f"{months[int(m[2]) - 1]} {m[1]}"
    return key
