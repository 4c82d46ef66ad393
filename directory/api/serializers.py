"""Reference data as the API shows it: read-only, ids for links between rows."""

from __future__ import annotations

from rest_framework import serializers

from directory.models import Carrier, Organization, Sector


class OrganizationSerializer(serializers.ModelSerializer):
    aliases = serializers.SlugRelatedField(many=True, read_only=True, slug_field="alias")
    # Declared, not generated: DRF drops allow_blank from read-only model fields, and the schema would then refuse
    # the "" of an organization without a website.
    website = serializers.URLField(read_only=True, allow_blank=True)

    class Meta:
        model = Organization
        fields = [
            "id",
            "kind",
            "region",
            "name",
            "name_zh_hant",
            "name_en",
            "abbreviation",
            "aliases",
            "parent",
            "is_channel",
            "website",
        ]
        read_only_fields = fields


class CarrierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Carrier
        fields = [
            "id",
            "kind",
            "name",
            "name_zh_hant",
            "name_en",
            "abbreviation",
            "parent",
            "depth",
            "is_active",
        ]
        read_only_fields = fields


class SectorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Sector
        fields = ["id", "code", "group", "name", "name_zh_hant", "name_en", "parent"]
        read_only_fields = fields
