namespace StreamLayer.Registry.Json
{
    internal enum JsonKind
    {
        Null,
        Boolean,
        Number,
        String,
        Array,
        Object,
    }
}
