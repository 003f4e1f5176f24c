import pytest

from jiuye.core.masking import mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("140102199001011234", "1401**********1234"),
        ("11010519491231002X", "1101**********002X"),
        ("130503670401001", "1305*******1001"),
        ("  11010519491231002X ", "1101**********002X"),
        ("12345678", "********"),
        ("123", "***"),
    ],
)
def test_mask_id_number(number, masked):
    assert mask_id_number(number) == masked


def test_mask_id_number_keeps_length():
    assert len(mask_id_number("140102199001011234")) == 18
    assert len(mask_id_number("130503670401001")) == 15


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("１３８１２３４５６７８", "138****5678"),
        ("+86 138 1234 5678", "+86 138****5678"),
        ("+8613812345678", "+86 138****5678"),
        ("008613812345678", "+86 138****5678"),
        ("8613812345678", "+86 138****5678"),
        ("010-12345678", "010-****5678"),
        ("01012345678", "010-****5678"),
        ("021 6123 4567", "021-****4567"),
        ("(0571) 8765 4321", "0571-****4321"),
        ("0571-87654321", "0571-****4321"),
        ("057187654321", "0571-****4321"),
        ("0755-1234567", "0755-***4567"),
        ("0571-87654321-123", "0571-****4321-***"),
        ("010-12345678转8001", "010-****5678-****"),
        ("010-12345678 ext. 12", "010-****5678-**"),
        ("87654321", "****4321"),
        ("95588", "***88"),
        ("400-123-4567", "******4567"),
    ],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_mask_phone_without_digits_hides_everything():
    assert mask_phone("unknown") == "*******"


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("李小龙", "李**"),
        ("欧阳娜娜", "欧阳**"),
        ("欧阳锋", "欧阳*"),
        ("诸葛孔明", "诸葛**"),
        ("欧阳", "欧*"),  # the whole name is a compound surname: keep one character
        ("王", "*"),
        ("买买提·艾力", "买**·**"),
        (" 张三 ", "张*"),
        ("Li Lei", "L* ***"),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize("func", [mask_id_number, mask_phone, mask_name])
@pytest.mark.parametrize("empty", [None, "", "   "])
def test_empty_values(func, empty):
    assert func(empty) == ""
