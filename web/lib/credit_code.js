// 统一社会信用代码 check character (GB 32100-2015), the same rule as shared/grading/credit_code.py.
export const CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

export function checkCharacter(first17) {
  let total = 0;
  for (let i = 0; i < 17; i += 1) total += CHARSET.indexOf(first17[i]) * WEIGHTS[i];
  return CHARSET[(31 - (total % 31)) % 31];
}

/** Why `raw` is not a valid credit code (in Chinese), or null when it is. */
export function creditCodeProblem(raw) {
  const code = raw.trim().toUpperCase();
  if (code.length === 0) return "请填写统一社会信用代码";
  const bad = [...new Set([...code].filter((ch) => !CHARSET.includes(ch)))];
  if (bad.length) return `含有标准不允许的字符：${bad.join("")}`;
  if (code.length !== 18) return `应为 18 位，当前 ${code.length} 位`;
  if (!/^[0-9]{6}$/.test(code.slice(2, 8))) return "第 3-8 位应为行政区划码（数字）";
  const expected = checkCharacter(code.slice(0, 17));
  if (code[17] !== expected) return `校验码应为 ${expected}，当前为 ${code[17]}`;
  return null;
}
