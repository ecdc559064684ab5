"""Service categories (服务类别) as people read them: the display names shown on certificates and pages.

Applications carry a category key (`it_services`); people see its Chinese name. A key without an entry here is
shown as it is, so a new category never breaks a page: add its name to this table.
"""

from __future__ import annotations

from typing import Final

__all__ = ["CATEGORY_NAMES", "display_name"]

CATEGORY_NAMES: Final[dict[str, str]] = {
    "it_services": "信息技术服务",
    "software_development": "软件开发服务",
    "system_integration": "信息系统集成服务",
    "data_services": "数据处理服务",
    "property_services": "物业管理服务",
    "cleaning": "保洁服务",
    "security_services": "安保服务",
    "catering": "餐饮服务",
    "engineering_consulting": "工程咨询服务",
    "construction": "工程施工服务",
    "equipment_maintenance": "设备维修维护服务",
    "logistics": "物流运输服务",
    "printing": "印刷服务",
    "training": "培训服务",
    "legal_services": "法律服务",
    "audit_services": "审计服务",
    "design": "设计服务",
    "conference": "会议服务",
}


def display_name(key: str) -> str:
    """The Chinese name of a category key; the key itself when the table has no name for it."""
    return CATEGORY_NAMES.get(key, key)
