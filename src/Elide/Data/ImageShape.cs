namespace Elide.Data;

/// <summary>The shape of one image stored channel-major (CHW): <see cref="Channels"/> planes of
/// <see cref="Height"/> rows of <see cref="Width"/> pixels.</summary>
/// <param name="Channels">Number of colour planes (1 for MNIST, 3 for CIFAR).</param>
/// <param name="Height">Rows per plane.</param>
/// <param name="Width">Pixels per row.</param>
public readonly record struct ImageShape(int Channels, int Height, int Width)
{
    /// <summary>Values per image: Channels × Height × Width.</summary>
    public int Size => Channels * Height * Width;

    /// <summary>Values per plane: Height × Width.</summary>
    public int PlaneSize => Height * Width;

    /// <summary>Throws unless every dimension is positive and the image fits in an array.</summary>
    /// <exception cref="ArgumentException">A dimension is not positive or the size overflows.</exception>
    public void Validate()
    {
        if (Channels <= 0 || Height <= 0 || Width <= 0 || (long)Channels * Height * Width > Array.MaxLength)
            throw new ArgumentException($"Invalid image shape {this}: every dimension must be positive.");
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Channels}x{Height}x{Width}";
}
