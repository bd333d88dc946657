"""FHIR R4 read-only API (HL7 Da Vinci PDex Plan-Net) under /fhir/R4."""

from flask import Blueprint

BASE_PATH = "/fhir/R4"
bp = Blueprint("fhir", __name__, url_prefix=BASE_PATH)

from app.fhir import export, routes  # noqa: E402,F401
