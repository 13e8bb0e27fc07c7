using System.Globalization;
using System.Text;

namespace Elide.IO;

/// <summary>
/// Parser for the .npy header: a Python dict literal such as
/// <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }</c> (NumPy format spec, NEP 1).
/// Accepts any spacing, either quote style, keys in any order, trailing commas and Python 2 long
/// suffixes (<c>3L</c>), since files are written by many tools, not only NumPy.
/// </summary>
internal sealed class NpyHeader
{
    public required string Descr { get; init; }
    public required bool FortranOrder { get; init; }
    public required long[] Shape { get; init; }

    public static NpyHeader Parse(string text, string source)
    {
        var parser = new Parser(text, source);
        return parser.ParseDict();
    }

    /// <summary>Formats the header exactly as NumPy does (dict repr), without padding.</summary>
    public static string Format(string descr, IReadOnlyList<long> shape)
    {
        var builder = new StringBuilder();
        builder.Append("{'descr': '").Append(descr).Append("', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.Count; i++)
        {
            if (i > 0) builder.Append(", ");
            builder.Append(shape[i].ToString(CultureInfo.InvariantCulture));
        }
        if (shape.Count == 1) builder.Append(',');
        builder.Append("), }");
        return builder.ToString();
    }

    private sealed class Parser(string text, string source)
    {
        private int _position;

        private NpyFormatException Error(string problem) =>
            new($"{source}: malformed .npy header ({problem}) in: {Abbreviate(text)}");

        private static string Abbreviate(string s) => s.Length <= 200 ? s.TrimEnd() : s[..200] + "...";

        public NpyHeader ParseDict()
        {
            string? descr = null;
            bool? fortran = null;
            long[]? shape = null;
            Expect('{');
            while (true)
            {
                SkipSpace();
                if (TryConsume('}')) break;
                string key = ParseString();
                Expect(':');
                switch (key)
                {
                    case "descr":
                        SkipSpace();
                        if (Peek() == '[')
                            throw new NpyFormatException($"{source}: structured dtypes (a list in 'descr') are not supported");
                        descr = ParseString();
                        break;
                    case "fortran_order": fortran = ParseBool(); break;
                    case "shape": shape = ParseShape(); break;
                    default: throw Error($"unexpected key '{key}'");
                }
                SkipSpace();
                if (TryConsume(',')) continue;
                Expect('}');
                break;
            }
            SkipSpace();
            if (_position != text.Length) throw Error("text after the closing '}'");
            if (descr is null) throw Error("missing 'descr'");
            if (fortran is null) throw Error("missing 'fortran_order'");
            if (shape is null) throw Error("missing 'shape'");
            return new NpyHeader { Descr = descr, FortranOrder = fortran.Value, Shape = shape };
        }

        private long[] ParseShape()
        {
            Expect('(');
            var dims = new List<long>();
            while (true)
            {
                SkipSpace();
                if (TryConsume(')')) break;
                dims.Add(ParseInteger());
                SkipSpace();
                if (TryConsume(',')) continue;
                Expect(')');
                break;
            }
            return dims.ToArray();
        }

        private long ParseInteger()
        {
            SkipSpace();
            int start = _position;
            while (_position < text.Length && char.IsAsciiDigit(text[_position])) _position++;
            if (start == _position) throw Error($"expected a non-negative integer at offset {start}");
            if (!long.TryParse(text.AsSpan(start, _position - start), NumberStyles.None, CultureInfo.InvariantCulture, out long value))
                throw Error($"dimension {text[start.._position]} is too large");
            if (_position < text.Length && text[_position] is 'L' or 'l') _position++; // Python 2 long
            return value;
        }

        private bool ParseBool()
        {
            SkipSpace();
            if (text.AsSpan(_position).StartsWith("True")) { _position += 4; return true; }
            if (text.AsSpan(_position).StartsWith("False")) { _position += 5; return false; }
            throw Error($"expected True or False at offset {_position}");
        }

        private string ParseString()
        {
            SkipSpace();
            if (_position >= text.Length || text[_position] is not ('\'' or '"'))
                throw Error($"expected a quoted string at offset {_position}");
            char quote = text[_position++];
            int end = text.IndexOf(quote, _position);
            if (end < 0) throw Error("unterminated string");
            string value = text[_position..end];
            _position = end + 1;
            return value;
        }

        private void Expect(char c)
        {
            SkipSpace();
            if (!TryConsume(c)) throw Error($"expected '{c}' at offset {_position}");
        }

        private bool TryConsume(char c)
        {
            if (_position < text.Length && text[_position] == c) { _position++; return true; }
            return false;
        }

        private char Peek() => _position < text.Length ? text[_position] : '\0';

        private void SkipSpace()
        {
            while (_position < text.Length && char.IsWhiteSpace(text[_position])) _position++;
        }
    }
}
