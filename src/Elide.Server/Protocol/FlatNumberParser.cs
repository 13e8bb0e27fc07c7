using System.Globalization;

namespace Elide.Server.Protocol;

/// <summary>
/// Reads the common request body's data — a flat JSON array of numbers, already validated by the JSON parser — in
/// one pass over its raw bytes. Under load the server's core is shared with the engine; <c>perf</c> at 2x overload
/// put ≈ 9 % of that core in JSON handling, about half of it in tokenizing the array a second time and converting
/// its numbers through the general parser.
/// <para>
/// Conversion takes Clinger's fast path (W. D. Clinger, "How to Read Floating Point Numbers Accurately", PLDI 1990)
/// where it is exact for float: a decimal without exponent whose significant digits form an integer m ≤ 9,999,999
/// (&lt; 2^24) with k ≤ 10 fraction digits is m / 10^k, where m and 10^k (= 2^k · 5^k, 5^10 &lt; 2^24) are exact
/// floats, so one IEEE division rounds correctly — the same float the general parser returns. Anything else (more
/// digits, an exponent) goes to the general parser.
/// </para>
/// </summary>
internal static class FlatNumberParser
{
    private static readonly float[] PowersOfTen = [1f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f];

    /// <summary>
    /// Parses <paramref name="array"/> (the raw UTF-8 of a valid JSON array) into <paramref name="data"/>: returns the
    /// count of numbers (values beyond <paramref name="data"/> are counted, not stored), or −1 when the array holds
    /// anything but numbers (nesting, strings, literals), for the caller's general path to handle and report.
    /// </summary>
    public static int Read(ReadOnlySpan<byte> array, float[] data)
    {
        int i = SkipWhitespace(array, 0);
        if (i >= array.Length || array[i] != (byte)'[') return -1;
        i = SkipWhitespace(array, i + 1);
        int filled = 0;
        if (i < array.Length && array[i] == (byte)']') return 0;
        while (i < array.Length)
        {
            int end = i;
            while (end < array.Length && IsNumberByte(array[end])) end++;
            if (end == i) return -1; // not a number: '[', '"', a literal
            if (filled < data.Length) data[filled] = Parse(array[i..end]);
            filled++;
            i = SkipWhitespace(array, end);
            if (i >= array.Length) return -1;
            if (array[i] == (byte)']') return filled;
            if (array[i] != (byte)',') return -1;
            i = SkipWhitespace(array, i + 1);
        }
        return -1;
    }

    /// <summary>One valid JSON number to the nearest float.</summary>
    public static float Parse(ReadOnlySpan<byte> number)
    {
        int i = 0;
        bool negative = number.Length > 0 && number[0] == (byte)'-';
        if (negative) i = 1;
        uint mantissa = 0;
        int significant = 0, fraction = -1; // fraction: digits after the point, -1 before it
        for (; i < number.Length; i++)
        {
            uint digit = (uint)(number[i] - (byte)'0');
            if (digit <= 9)
            {
                if (mantissa != 0 || digit != 0) significant++;
                if (significant > 7) return General(number);
                mantissa = mantissa * 10 + digit;
                if (fraction >= 0) fraction++;
            }
            else if (number[i] == (byte)'.' && fraction < 0) fraction = 0;
            else return General(number); // exponent
        }
        if (fraction > 10) return General(number);
        float value = fraction > 0 ? mantissa / PowersOfTen[fraction] : mantissa;
        return negative ? -value : value;
    }

    private static float General(ReadOnlySpan<byte> number) =>
        float.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out float f) ? f : float.NaN;

    private static bool IsNumberByte(byte b) => (uint)(b - (byte)'0') <= 9 || b is (byte)'-' or (byte)'+' or (byte)'.' or (byte)'e' or (byte)'E';

    private static int SkipWhitespace(ReadOnlySpan<byte> s, int i)
    {
        while (i < s.Length && s[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r') i++;
        return i;
    }
}
