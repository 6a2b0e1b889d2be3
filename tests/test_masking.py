"""Personal data does not survive masking: a corpus of the spellings buyers and staff type."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from refundkit.masking import mask_address, mask_columns, mask_name, mask_phone, mask_text

# (free text, the personal values that must not appear in the masked text)
CORPUS = [
    ("张伟 13912345678 北京市朝阳区建国路88号", ["13912345678", "张伟", "建国路88号"]),
    ("电话13912345678", ["13912345678"]),
    ("电话:139 1234 5678", ["13912345678"]),
    ("手机139-1234-5678请尽快联系", ["13912345678"]),
    ("+86 139 1234 5678", ["13912345678"]),
    ("+8613912345678", ["13912345678"]),
    ("+86-139-1234-5678", ["13912345678"]),
    ("0086 13912345678", ["13912345678"]),
    ("(+86)13912345678", ["13912345678"]),
    ("（+86）139 1234 5678", ["13912345678"]),
    ("86-13912345678", ["13912345678"]),
    ("139.1234.5678", ["13912345678"]),
    ("１３９１２３４５６７８", ["１３９１２３４５６７８", "13912345678"]),
    ("联系我15800001111或者18611112222", ["15800001111", "18611112222"]),
    ("座机010-12345678", ["12345678"]),
    ("座机(0755)88886666", ["88886666"]),
    ("（021）6123 4567转801", ["61234567"]),
    ("0571 8765 4321", ["87654321"]),
    ("+86 10 12345678", ["12345678"]),
    ("身份证110101199003071234", ["110101199003071234"]),
    ("身份证号 11010119900307123X", ["11010119900307123X"]),
    ("证件 110101 19900307 1234", ["110101199003071234"]),
    ("id:44030619851231002x", ["44030619851231002x"]),
    ("收货人:李娜,地址上海市浦东新区张杨路500号3栋1201室", ["李娜", "张杨路500号", "1201"]),
    ("我叫王秀英,电话13700001234", ["王秀英", "13700001234"]),
    ("联系人 欧阳娜娜 手机 13600002222", ["欧阳娜娜", "13600002222"]),
    ("陈静13512340000麻烦快点", ["陈静", "13512340000"]),
    ("请联系赵先生", ["赵先生"]),
    ("刘女士说尺码不对", ["刘女士"]),
    ("寄回地址:广东省深圳市南山区科技园南路18号A座2单元1502", ["科技园南路18号", "1502"]),
    ("送到杭州市西湖区文三路478号华星大厦9楼", ["文三路478号", "华星大厦9楼"]),
    ("小区:阳光花园7栋3单元602室", ["7栋3单元602室", "602"]),
    ("姓名:周杰 身份证:320102198812121234 电话:13011112222", ["周杰", "320102198812121234", "13011112222"]),
    ("重庆市渝中区解放碑步行街8号", ["步行街8号"]),
]


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s.translate(str.maketrans("０１２３４５６７８９", "0123456789")))


@pytest.mark.parametrize("text,secrets", CORPUS, ids=[c[0][:12] for c in CORPUS])
def test_no_personal_value_survives(text, secrets):
    masked = mask_text(text)
    for secret in secrets:
        assert secret not in masked, masked
        if secret.isdigit() or secret[:-1].isdigit():
            # however it was spelled: the digits do not survive in a row either
            assert _digits(secret) not in _digits(masked), masked


def test_corpus_is_at_least_thirty_variants():
    assert len(CORPUS) >= 30


def test_ordinary_text_is_left_alone():
    for text in ("拍错颜色了", "尺码偏小", "收到有划痕", "和图片不一样", "订单号 6900000000000001234 已退款", "退款 12.50 元",
                 "2026-11-20 10:00:00", "1/1已发货"):
        assert mask_text(text) == text


def test_column_maskers():
    assert mask_name("张伟") == "张*" and mask_name("") == ""
    assert mask_phone("13912345678") == "139****5678" and mask_phone("+86 139 1234 5678") == "139****5678"
    assert mask_address("浙江省杭州市西湖区文三路478号") == "浙江省杭州市西湖区****"


def test_row_names_masked_inside_free_text():
    df = pd.DataFrame({"收货人": ["孙小美", "李四"], "用户售后说明": ["孙小美要求退款", "尽快处理"]})
    out = mask_columns(df, {"name": ["收货人"], "free_text": ["用户售后说明"]})
    assert out["收货人"].tolist() == ["孙**", "李*"]
    assert "孙小美" not in out["用户售后说明"].iat[0] and out["用户售后说明"].iat[1] == "尽快处理"
