"""The real-world corpus: applications as real people type them, and look-alikes that must not pass.

- :data:`VALID_VARIANTS`: mutations of the valid base application (:func:`scenarios.bad_inputs.base_application`)
  that must be accepted, each with the one normalized form every field it changes must be stored in: names from many
  scripts, typographic punctuation from phone keyboards, decomposed accents, US territories' addresses, ZIP+4,
  phone numbers written as people write them, e-mail local parts with legal punctuation.
- :data:`LOOK_ALIKES`: values that pass a naive digit or shape rule yet are invalid (SSNs that are never valid or
  were voided once published, ZIP codes that are not 5 digits or ZIP+4, phone numbers without a valid US area code,
  a card expiry decades ahead, ...), each a :class:`~scenarios.bad_inputs.BadInput` with the field codes it must be
  refused with.

The values are synthetic or public test values (the SSNs are the published, voided ones; 555-01XX is the
fictional telephone range). ``tests/scenarios/test_real_world.py`` runs every entry through the validation and the
reference process; one valid variant (:data:`END_TO_END_VARIANT`) and one look-alike (:data:`END_TO_END_LOOK_ALIKE`)
run through both engines end to end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from onboarding.models import FieldError
from scenarios.bad_inputs import BadInput, with_changes


@dataclass(frozen=True, kw_only=True)
class Variant:
    """A valid application as typed (``typed``: dotted path -> value) and the normalized value of each changed field
    (``stored``; a path absent from it is stored exactly as typed)."""

    name: str
    typed: Mapping[str, Any]
    stored: Mapping[str, Any] = field(default_factory=dict)

    def application(self, application_id: str | None = None) -> dict[str, Any]:
        payload = with_changes(dict(self.typed))
        if application_id is not None:
            payload["application_id"] = application_id
        return payload

    def expected_stored(self) -> dict[str, Any]:
        """Every changed path with the value the accepted application must hold."""
        return {path: self.stored.get(path, value) for path, value in self.typed.items()}


NAME, CITY, LINE1, ZIP = ("applicant.full_name", "applicant.address.city", "applicant.address.line1",
                          "applicant.address.postal_code")
EMAIL, PHONE, SSN, EXPIRY = "applicant.email", "applicant.phone", "applicant.national_id", "funding.card_expiry"
E164 = "+14155550132"


def _v(name: str, path: str, typed: Any, stored: Any | None = None) -> Variant:
    return Variant(name=name, typed={path: typed}, stored={} if stored is None else {path: stored})


# The variant that runs through both engines: several normalizations at once, and one the outcome depends on. With
# the phone in E.164 the elevated deposit alone scores LOW (approved without review); read as typed, the phone would
# count as foreign and the score would call for a review.
END_TO_END_VARIANT = Variant(
    name="typed_on_a_phone",
    typed={NAME: "Zoe\u0308 O\u2019Brien", CITY: "Coeur d\u2019Alene", ZIP: "83814 2201", EMAIL: "o'brien@example.com",
           PHONE: "(415) 555-0132", "funding.amount_cents": 300_000},
    stored={NAME: "Zoë O'Brien", CITY: "Coeur d'Alene", ZIP: "83814-2201", PHONE: E164},
)

VALID_VARIANTS: tuple[Variant, ...] = (
    END_TO_END_VARIANT,
    # Names: typographic punctuation, decomposed accents, spacing, and many scripts.
    _v("name_typographic_apostrophe", NAME, "Zoë O\u2019Brien", "Zoë O'Brien"),
    _v("name_decomposed_accents", NAME, "Jose\u0301 Nu\u0301n\u0303ez", "José Núñez"),
    _v("name_surrounding_spaces", NAME, "  Leopold Brightwater  ", "Leopold Brightwater"),
    _v("name_non_breaking_space", NAME, "Leopold\u00a0Brightwater", "Leopold Brightwater"),
    _v("name_doubled_space", NAME, "Leopold  Brightwater", "Leopold Brightwater"),
    _v("name_unicode_hyphen", NAME, "Anne\u2010Marie Dubois", "Anne-Marie Dubois"),
    _v("name_en_dash", NAME, "Mary\u2013Jane Okafor", "Mary-Jane Okafor"),
    _v("name_acute_as_apostrophe", NAME, "D\u00b4Angelo Russo", "D'Angelo Russo"),
    _v("name_suffix_with_period", NAME, "Leopold Brightwater Jr."),
    _v("name_irish_fada", NAME, "Seán Ó Briain"),
    _v("name_hawaiian_okina", NAME, "Keʻala Kahananui"),
    _v("name_catalan_middle_dot", NAME, "Marcel·lí Roca"),
    _v("name_turkish", NAME, "Ayşe Yılmaz"),
    _v("name_polish", NAME, "Zofia Wójcik"),
    _v("name_icelandic", NAME, "Þórunn Guðmundsdóttir"),
    _v("name_vietnamese", NAME, "Nguyễn Văn An"),
    _v("name_cyrillic", NAME, "Дмитрий Иванов"),
    _v("name_greek", NAME, "Νίκος Παπαδόπουλος"),
    _v("name_armenian", NAME, "Անի Պետրոսյան"),
    _v("name_georgian", NAME, "ნინო ბერიძე"),
    _v("name_hebrew", NAME, "נועה כהן"),
    _v("name_arabic", NAME, "ليلى حداد"),
    _v("name_persian_with_zwnj", NAME, "نرگس\u200cسادات رضایی"),
    _v("name_devanagari", NAME, "प्रिया शर्मा"),
    _v("name_tamil", NAME, "முருகன் செல்வம்"),
    _v("name_thai", NAME, "สมชาย ใจดี"),
    _v("name_ethiopic", NAME, "አበበ ተሰማ"),
    _v("name_chinese", NAME, "王小明"),
    _v("name_japanese_katakana", NAME, "ジョン・スミス"),
    _v("name_korean", NAME, "김민준"),
    # Places: non-ASCII US cities and streets, the territories, ZIP+4 as typed.
    _v("city_typographic_apostrophe", CITY, "Coeur d\u2019Alene", "Coeur d'Alene"),
    _v("city_with_tilde", CITY, "Cañon City"),
    _v("city_hawaiian_okina", CITY, "Kāneʻohe"),
    _v("city_abbreviated_saint", CITY, "St. Louis"),
    Variant(name="puerto_rico_address", typed={LINE1: "12 Calle Añasco", CITY: "Mayagüez", ZIP: "00680"}),
    Variant(name="puerto_rico_zip_plus_four", typed={LINE1: "1050 Calle Loíza", CITY: "San Juan", ZIP: "00911 2345"},
            stored={ZIP: "00911-2345"}),
    Variant(name="guam_address", typed={LINE1: "238 Archbishop Flores St", CITY: "Hagåtña", ZIP: "96910"}),
    Variant(name="us_virgin_islands_address",
            typed={LINE1: "5 Dronningens Gade", CITY: "Charlotte Amalie", ZIP: "00802"}),
    Variant(name="american_samoa_address", typed={LINE1: "1 Fagatogo Square", CITY: "Pago Pago", ZIP: "96799"}),
    Variant(name="northern_mariana_islands_address", typed={LINE1: "77 Beach Road", CITY: "Saipan", ZIP: "96950"}),
    _v("street_with_fraction", LINE1, "1234 ½ Main St"),
    _v("street_with_unit", LINE1, "500 Elm St Apt #4B"),
    _v("zip_plus_four_with_space", ZIP, "27601 4419", "27601-4419"),
    _v("zip_with_surrounding_spaces", ZIP, " 27601 ", "27601"),
    # E-mail addresses: legal local-part punctuation, case, tags, international local parts.
    _v("email_apostrophe", EMAIL, "o'brien@example.com"),
    _v("email_ampersand_and_equals", EMAIL, "r&d=team@example.com"),
    _v("email_plus_tag", EMAIL, "leopold+bank@example.com"),
    _v("email_upper_case_domain", EMAIL, "Leopold.Brightwater@EXAMPLE.COM", "Leopold.Brightwater@example.com"),
    _v("email_international_local_part", EMAIL, "josé.núñez@example.com"),
    _v("email_surrounding_spaces", EMAIL, " leopold@example.com ", "leopold@example.com"),
    # Phone numbers as people write them, stored in E.164.
    _v("phone_parentheses", PHONE, "(415) 555-0132", E164),
    _v("phone_international_spaced", PHONE, "+1 415 555 0132", E164),
    _v("phone_dashes", PHONE, "415-555-0132", E164),
    _v("phone_dots", PHONE, "415.555.0132", E164),
    _v("phone_trunk_prefix", PHONE, "1-415-555-0132", E164),
    _v("phone_international_parentheses", PHONE, "+1 (415) 555-0132", E164),
    _v("phone_non_breaking_spaces", PHONE, "+1\u00a0415\u00a0555\u00a00132", E164),
    _v("phone_puerto_rico", PHONE, "(787) 555-0143", "+17875550143"),
    _v("phone_guam", PHONE, "+1 671 555 0155", "+16715550155"),
    _v("phone_united_kingdom", PHONE, "+44 20 7946 0958", "+442079460958"),
)


def _look_alike(name: str, path: str, value: Any, code: str) -> BadInput:
    payload = with_changes({path: value})
    payload["application_id"] = f"app_01JLOOK{len(name):02d}{name.replace('_', '')[:20]}"
    return BadInput(name=name, payload=payload, expected_errors=(FieldError(field=path, code=code),))


END_TO_END_LOOK_ALIKE = _look_alike("ssn_woolworth_wallet_card", SSN, "078-05-1120", "invalid_number")

LOOK_ALIKES: tuple[BadInput, ...] = (
    END_TO_END_LOOK_ALIKE,
    # SSNs that pass the digit rules but are never valid: published and voided (python-stdnum's list: a wallet
    # insert, an SSA pamphlet, an advertisement), or outside what the SSA issues (advertising and ITIN areas, zeros).
    _look_alike("ssn_pamphlet_sample", SSN, "219-09-9999", "invalid_number"),
    _look_alike("ssn_published_in_advertising", SSN, "457-55-5462", "invalid_number"),
    _look_alike("ssn_advertising_range", SSN, "987-65-4320", "invalid_number"),
    _look_alike("ssn_itin_area", SSN, "912-38-4756", "invalid_number"),
    _look_alike("ssn_area_000", SSN, "000-12-3456", "invalid_number"),
    _look_alike("ssn_serial_0000", SSN, "219-38-0000", "invalid_number"),
    _look_alike("ssn_en_dashes", SSN, "219\u201338\u20134756", "invalid_format"),
    # ZIP codes that are not 5 digits or ZIP+4.
    _look_alike("zip_two_letters", ZIP, "AB", "invalid_format"),
    _look_alike("zip_five_letters", ZIP, "ABCDE", "invalid_format"),
    _look_alike("zip_four_digits", ZIP, "1234", "invalid_format"),
    _look_alike("zip_six_digits", ZIP, "123456", "invalid_format"),
    _look_alike("zip_canadian_postal_code", ZIP, "K1A 0B1", "invalid_format"),
    _look_alike("zip_plus_three", ZIP, "27601-441", "invalid_format"),
    _look_alike("zip_nine_digits_run_together", ZIP, "276014419", "invalid_format"),
    # Phone numbers without a valid US area code, or that E.164 cannot hold.
    _look_alike("phone_area_code_999", PHONE, "+1 999 555 0132", "invalid_number"),
    _look_alike("phone_no_area_code", PHONE, "555-0132", "invalid_number"),
    _look_alike("phone_area_code_starting_with_1", PHONE, "+1 115 555 0132", "invalid_number"),
    _look_alike("phone_exchange_starting_with_1", PHONE, "+1 415 155 0132", "invalid_number"),
    _look_alike("phone_country_code_only", PHONE, "+1 415", "invalid_number"),
    _look_alike("phone_with_extension", PHONE, "+1 415 555 0132 ext 5", "invalid_format"),
    _look_alike("phone_words", PHONE, "call me", "invalid_format"),
    # A card expiry decades ahead (a typo, not a card).
    _look_alike("expiry_decades_ahead", EXPIRY, "12/99", "out_of_range"),
    _look_alike("expiry_past_the_horizon", EXPIRY, "12/46", "out_of_range"),
    _look_alike("expiry_month_00", EXPIRY, "00/30", "invalid_format"),
    # E-mail addresses that look plausible but are not deliverable addresses by their syntax.
    _look_alike("email_reserved_test_domain", EMAIL, "leopold@brightwater.test", "invalid_format"),
    _look_alike("email_consecutive_dots", EMAIL, "leopold..brightwater@example.com", "invalid_format"),
    _look_alike("email_trailing_dot", EMAIL, "leopold@example.com.", "invalid_format"),
    _look_alike("email_no_domain_dot", EMAIL, "leopold@localhost", "invalid_format"),
    _look_alike("email_display_name", EMAIL, "Leopold <leopold@example.com>", "invalid_format"),
    # Names and places that only look like text.
    _look_alike("name_with_a_digit", NAME, "L3opold Brightwater", "invalid_format"),
    _look_alike("name_with_zero_width_space", NAME, "Leo\u200bpold Brightwater", "invalid_characters"),
    _look_alike("name_with_emoji", NAME, "Leopold Brightwater \U0001f600", "invalid_format"),
    _look_alike("name_starting_with_a_combining_mark", NAME, "\u0301Leopold Brightwater", "invalid_format"),
    _look_alike("city_with_a_digit", CITY, "Springfield 2", "invalid_format"),
)
