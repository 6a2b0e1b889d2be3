"""Customer personal data, masked in every output and message unless the user asks otherwise.

- Mainland mobiles in the spellings people type: 13912345678, 139 1234 5678, 139-1234-5678,
  +86 139..., 0086-139..., (+86)139..., full-width digits -> 139****5678.
- Landlines: 010-12345678, (0755) 8888 6666, 021 6123 4567-801 -> 010-****5678.
- Resident ID numbers (18 digits, last may be X, in groups or not) -> 11**************1X.
- Names: the name columns (first character kept), and inside free text after a cue
  (收货人/联系人/姓名/我叫/我是 ...), before a phone number, or as 张先生/李女士.
- Addresses: the address columns keep province/city/district; inside free text the street,
  the number and the building/room are masked.
Whole columns are masked one distinct value at a time (exports repeat texts a lot).
Bottom layer: imports nothing of the kit.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

STAR = "*"
_D = r"[0-9０-９]"
_SEP = r"[\s.\-－—]{0,2}"

MOBILE = re.compile(
    rf"(?<![0-9０-９])(?:(?:\(|（)?(?:\+|＋|00)?\s?86(?:\)|）)?[\s\-－]{{0,2}})?"
    rf"([1１]{_SEP}[3-9３-９]{_SEP}{_D})((?:{_SEP}{_D}){{4}})((?:{_SEP}{_D}){{4}})(?![0-9０-９])")
LANDLINE = re.compile(
    rf"(?<![0-9０-９])(?:(?:\+|00)86[\s\-]?(?:\(0?\)|0)?[1-9]{_D}{{1,2}}|(?:\(|（)0{_D}{{2,3}}(?:\)|）)|0{_D}{{2,3}})"
    rf"[\s\-－]{{0,2}}({_D}{{3,4}}[\s\-－]?{_D}{{4}})(?:[\s\-－转]{{1,2}}{_D}{{1,6}})?(?![0-9０-９])")
ID_NUMBER = re.compile(
    rf"(?<![0-9０-９A-Za-z])([1-9１-９]{_D}{{5}})[\s\-]?({_D}{{4}}[\s\-]?{_D}{{4}})[\s\-]?({_D}{{3}}[0-9０-９Xx])(?![0-9０-９A-Za-z])")
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
COMPOUND = ("欧阳", "司马", "诸葛", "上官", "东方", "慕容", "皇甫", "令狐", "司徒", "夏侯")
_HAN = r"[\u4e00-\u9fff]"
_SURNAME = "(?:" + "|".join(COMPOUND) + f"|[{SURNAMES}])"
NAME_CUE = re.compile(rf"((?:收货人|收件人|联系人|联系|姓名|名字|我叫|我是|本人|买家|客户|签收人|寄件人)\s*[:：是为]?\s*)({_HAN}{{2,4}})")
NAME_BEFORE_PHONE = re.compile(rf"({_SURNAME}{_HAN}{{1,2}})(?=\s*[,，:：;；/]?\s*(?:电话|手机|联系方式|tel|Tel|TEL)?\s*[:：]?\s*[(（+0-9０-９])")
HONORIFIC = re.compile(rf"{_SURNAME}(?=(?:先生|女士|小姐|老师|师傅|阿姨))")
_NUM = r"[0-9０-９一二三四五六七八九十百零〇A-Za-z]"
_UNIT = r"(?:号楼|号院|号|弄|栋|幢|单元|楼|层|室|户|座|组)"
ADDRESS = re.compile(
    rf"(?:(?:(?![省市区县旗])[\u4e00-\u9fffA-Za-z0-9]){{1,12}}?(?:路|街|大道|大街|巷|弄|胡同|里|村|小区|社区|大厦|花园|公寓|家园|苑|广场|新村|工业园|园区))?"
    rf"[\s#\-－—]*{_NUM}+\s*{_UNIT}(?:[\s#\-－—]*{_NUM}+\s*{_UNIT}?)*")


def mask_name(v) -> str:
    v = "" if v is None else str(v)
    return v[:1] + STAR * max(1, len(v) - 1) if v else v


_ASCII = str.maketrans("０１２３４５６７８９", "0123456789")


def _digits(s: str) -> str:
    return re.sub(r"[^0-9]", "", s.translate(_ASCII))


def mask_phone(v) -> str:
    """A phone column: 139****5678 (mobile), 010-****5678 (landline); digits only count."""
    v = "" if v is None else str(v)
    if not v:
        return v
    if len(v) == 11 and v.isascii() and v.isdigit() and v[0] == "1":  # the usual cell: no regex needed
        return v[:3] + STAR * 4 + v[-4:]
    return mask_text(v) if (MOBILE.search(v) or LANDLINE.search(v)) else STAR * len(v)


def mask_address(v) -> str:
    """Keep the province/city/district (enough for statistics), hide the street and number."""
    v = "" if v is None else str(v)
    m = re.match(r"^(.{2,}?(?:省|自治区|市))?(.{2,}?市)?(.{1,}?(?:区|县|旗))?", v)
    keep = "".join(g for g in (m.groups() if m else ()) if g) or v[:2]
    return keep + STAR * 4 if v else v


def _mobile(m: re.Match) -> str:
    d = _digits(m.group(0))
    return d[-11:-8] + STAR * 4 + d[-4:]


def _landline(m: re.Match) -> str:
    d = _digits(m.group(1))
    area = _digits(m.group(0)[: m.start(1) - m.start(0)])
    return (area[-4:] + "-" if area else "") + STAR * 4 + d[-4:]


def _id_number(m: re.Match) -> str:
    s = "".join(m.groups()).translate(_ASCII)
    return s[:2] + STAR * 14 + s[-2:]


def mask_text(v, names: tuple[str, ...] = ()) -> str:
    """Free text with phones, ID numbers, names and street addresses masked.

    `names` are this row's own name cells (buyer, recipient): masked wherever they appear.
    """
    s = "" if v is None else str(v)
    if not s:
        return s
    s = ID_NUMBER.sub(_id_number, s)
    s = MOBILE.sub(_mobile, s)
    s = LANDLINE.sub(_landline, s)
    for n in names:
        if n and len(n) >= 2 and n in s:
            s = s.replace(n, mask_name(n))
    s = NAME_CUE.sub(lambda m: m.group(1) + mask_name(m.group(2)), s)
    s = NAME_BEFORE_PHONE.sub(lambda m: mask_name(m.group(1)), s)
    s = HONORIFIC.sub(STAR, s)
    s = ADDRESS.sub(STAR * 4, s)
    return s


MASKERS = {"name": mask_name, "phone": mask_phone, "address": mask_address, "free_text": mask_text}


def _blank(v) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v)


def _mask_cells(vals: list, fn) -> list:
    """Each cell of a column of mostly distinct values (phones, nicknames) masked in one pass."""
    if fn is mask_phone:
        try:  # the usual column: every cell 11 ASCII digits starting with 1, seen in one joined text
            joined = "".join(vals)
            usual = (len(joined) == 11 * len(vals) and joined.isascii() and joined.isdigit()
                     and set(map(len, vals)) == {11} and set(joined[::11]) == {"1"})
        except TypeError:  # blanks or numbers among the texts
            usual = False
        if usual:  # the digits as an array of 11 bytes a row: mask_phone's usual cell, starred at once
            digits = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(len(vals), 11).copy()
            digits[:, 3:7] = ord(STAR)
            return digits.view("S11").ravel().astype("U11").astype(object).tolist()
    return ["" if _blank(v) else fn(v) for v in vals]


def mask_series(col: pd.Series, fn=mask_text) -> pd.Series:
    """A column masked once per distinct value; blanks stay blank. A column of mostly distinct
    texts (phones, nicknames) is masked cell by cell: telling its values apart costs more than
    masking each."""
    if not isinstance(col.dtype, pd.CategoricalDtype) and fn in (mask_phone, mask_name) and len(col) > 4000:
        vals = col.to_numpy(dtype=object).tolist()
        head = vals[:2000]
        try:
            distinct = len(set(head)) > len(head) // 2
        except TypeError:  # unhashable cells: the general path below says what they are
            distinct = False
        if distinct:
            return pd.Series(np.array(_mask_cells(vals, fn), dtype=object), index=col.index, name=col.name)
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    if not len(uniques):
        return col.astype(object)
    uniques = np.asarray(uniques, dtype=object)
    masked = np.array(_mask_cells(uniques.tolist(), fn) + [""], dtype=object)
    return pd.Series(masked[np.where(codes < 0, len(uniques), codes)], index=col.index, name=col.name)


def mask_columns(df: pd.DataFrame, personal: dict[str, list[str]], text_columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """A copy with each personal column masked by its kind (name, phone, address, free_text),
    and `text_columns` (any other text the buyer may type into) masked as free text.
    Names found in a row's name columns are also masked inside that row's free text."""
    out = df.copy(deep=False)  # each masked column replaces its own; the others are not written to
    name_cols = [h for h in personal.get("name", []) if h in df.columns]
    for kind, headers in personal.items():
        for h in headers:
            if h in out.columns and kind != "free_text":
                out[h] = mask_series(df[h], MASKERS[kind])  # a categorical is masked per category
    free = [h for h in personal.get("free_text", []) if h in df.columns] + [c for c in text_columns if c in df.columns]
    for h in dict.fromkeys(free):
        col = df[h]
        masked = mask_series(col, mask_text)
        if name_cols:
            texts = col.to_numpy(dtype=object).tolist()
            names = [df[c].to_numpy(dtype=object).tolist() for c in name_cols]
            with_text = [i for i, text in enumerate(texts) if text and isinstance(text, str)]  # plain lists: fast
            # A row's own names inside its text (the usual row has none: one test per name).
            hits = sorted({i for col_names in names for i in with_text
                           if isinstance(n := col_names[i], str) and len(n) >= 2 and n in texts[i]})
            if hits:
                fixed = masked.to_numpy(dtype=object).copy()
                for i in hits:
                    text = texts[i]
                    fixed[i] = mask_text(text, tuple(n for n in (c[i] for c in names)
                                                     if isinstance(n, str) and len(n) >= 2 and n in text))
                masked = pd.Series(fixed, index=col.index, name=col.name)
        out[h] = masked
    return out


__all__ = ["MASKERS", "mask_address", "mask_columns", "mask_name", "mask_phone", "mask_series", "mask_text"]
