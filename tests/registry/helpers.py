"""Tiny builders shared by registry tests."""

from __future__ import annotations

from registry.facilities.service import Actor, create_facility

OFFICIAL = Actor("somchai@chiangmai", "web")
# Tha Phae Gate, Mueang Chiang Mai: inside subdistrict Si Phum (TH500102).
CHIANG_MAI = {"lon": 98.9934, "lat": 18.7877}
BANGKOK = {"lon": 100.5018, "lat": 13.7563}


def make_facility(session, **values):
    base = {"type": "hospital", "name_th": "โรงพยาบาลทดสอบ", **CHIANG_MAI}
    base.update(values)
    return create_facility(session, base, OFFICIAL).facility
