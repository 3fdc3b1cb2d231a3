using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace StreamLayer.Tests
{
    /// <summary>
    /// Which namespaces of an assembly use which, read from what the compiler wrote rather than from using
    /// directives (a child namespace sees its parents' types without one): every type a type names in its base,
    /// interfaces, fields, signatures, attributes, local variables and method bodies. A nested type (an async state
    /// machine, a lambda's closure) counts as its outermost declaring type.
    /// </summary>
    internal sealed class NamespaceDependencies
    {
        private static readonly Dictionary<short, OperandType> s_operands = typeof(OpCodes)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (OpCode)f.GetValue(null))
            .ToDictionary(o => o.Value, o => o.OperandType);

        private readonly MetadataReader _reader;
        private readonly string _prefix;
        private readonly Dictionary<string, HashSet<string>> _uses = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _types = new Dictionary<string, int>(StringComparer.Ordinal);

        private NamespaceDependencies(MetadataReader reader, string prefix)
        {
            _reader = reader;
            _prefix = prefix;
        }

        /// <summary>Namespace → the other namespaces (starting with <paramref name="prefix"/>) it uses.</summary>
        public IReadOnlyDictionary<string, HashSet<string>> Uses => _uses;

        /// <summary>Namespace → how many top-level types it defines.</summary>
        public IReadOnlyDictionary<string, int> Types => _types;

        /// <summary>For each namespace that uses another, the names of its types that do.</summary>
        public Dictionary<(string From, string To), List<string>> Edges { get; } = new Dictionary<(string, string), List<string>>();

        public static NamespaceDependencies Read(string assemblyPath, string prefix = "StreamLayer")
        {
            using (var stream = File.OpenRead(assemblyPath))
            using (var pe = new PEReader(stream))
            {
                var graph = new NamespaceDependencies(pe.GetMetadataReader(), prefix);
                graph.ReadAll(pe);
                return graph;
            }
        }

        private void ReadAll(PEReader pe)
        {
            foreach (TypeDefinitionHandle handle in _reader.TypeDefinitions)
            {
                string from = NamespaceOf(handle);
                if (from == null || !Ours(from))
                {
                    continue;
                }

                if (_reader.GetTypeDefinition(handle).GetDeclaringType().IsNil)
                {
                    _types[from] = _types.TryGetValue(from, out int count) ? count + 1 : 1;
                }

                var named = new HashSet<string>(StringComparer.Ordinal);
                CollectType(pe, handle, named);
                if (!_uses.TryGetValue(from, out HashSet<string> uses))
                {
                    _uses[from] = uses = new HashSet<string>(StringComparer.Ordinal);
                }

                string typeName = TopLevelName(handle);
                foreach (string to in named.Where(n => n != from && Ours(n)))
                {
                    uses.Add(to);
                    if (!Edges.TryGetValue((from, to), out List<string> types))
                    {
                        Edges[(from, to)] = types = new List<string>();
                    }

                    types.Add(typeName);
                }
            }
        }

        private bool Ours(string ns) => ns == _prefix || ns.StartsWith(_prefix + ".", StringComparison.Ordinal);

        private void CollectType(PEReader pe, TypeDefinitionHandle handle, HashSet<string> named)
        {
            TypeDefinition type = _reader.GetTypeDefinition(handle);
            var provider = new NamespaceProvider(this);
            Add(named, type.BaseType, provider);
            foreach (InterfaceImplementationHandle i in type.GetInterfaceImplementations())
            {
                Add(named, _reader.GetInterfaceImplementation(i).Interface, provider);
            }

            foreach (CustomAttributeHandle attribute in type.GetCustomAttributes())
            {
                AddAttribute(named, attribute, provider);
            }

            foreach (FieldDefinitionHandle f in type.GetFields())
            {
                FieldDefinition field = _reader.GetFieldDefinition(f);
                named.UnionWith(field.DecodeSignature(provider, null));
                foreach (CustomAttributeHandle attribute in field.GetCustomAttributes())
                {
                    AddAttribute(named, attribute, provider);
                }
            }

            foreach (PropertyDefinitionHandle p in type.GetProperties())
            {
                PropertyDefinition property = _reader.GetPropertyDefinition(p);
                AddSignature(named, property.DecodeSignature(provider, null));
                foreach (CustomAttributeHandle attribute in property.GetCustomAttributes())
                {
                    AddAttribute(named, attribute, provider);
                }
            }

            foreach (MethodDefinitionHandle m in type.GetMethods())
            {
                MethodDefinition method = _reader.GetMethodDefinition(m);
                AddSignature(named, method.DecodeSignature(provider, null));
                foreach (CustomAttributeHandle attribute in method.GetCustomAttributes())
                {
                    AddAttribute(named, attribute, provider);
                }

                if (method.RelativeVirtualAddress != 0)
                {
                    MethodBodyBlock body = pe.GetMethodBody(method.RelativeVirtualAddress);
                    if (!body.LocalSignature.IsNil)
                    {
                        foreach (ImmutableArray<string> local in _reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(provider, null))
                        {
                            named.UnionWith(local);
                        }
                    }

                    foreach (EntityHandle token in Tokens(body.GetILBytes()))
                    {
                        AddToken(named, token, provider);
                    }
                }
            }
        }

        /// <summary>The metadata tokens an IL body names (calls, fields, types, ldtoken), found by walking its opcodes.</summary>
        private static IEnumerable<EntityHandle> Tokens(byte[] il)
        {
            int i = 0;
            while (i < il.Length)
            {
                short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
                i += il[i] == 0xFE ? 2 : 1;
                switch (s_operands[value])
                {
                    case OperandType.InlineNone:
                        break;
                    case OperandType.ShortInlineBrTarget:
                    case OperandType.ShortInlineI:
                    case OperandType.ShortInlineVar:
                        i += 1;
                        break;
                    case OperandType.InlineVar:
                        i += 2;
                        break;
                    case OperandType.InlineI8:
                    case OperandType.InlineR:
                        i += 8;
                        break;
                    case OperandType.InlineSwitch:
                        i += 4 + 4 * BitConverter.ToInt32(il, i);
                        break;
                    case OperandType.InlineField:
                    case OperandType.InlineMethod:
                    case OperandType.InlineTok:
                    case OperandType.InlineType:
                        yield return MetadataTokens.EntityHandle(BitConverter.ToInt32(il, i));
                        i += 4;
                        break;
                    default:
                        // InlineBrTarget, InlineI, InlineSig, InlineString, ShortInlineR
                        i += 4;
                        break;
                }
            }
        }

        private void AddToken(HashSet<string> named, EntityHandle token, NamespaceProvider provider)
        {
            switch (token.Kind)
            {
                case HandleKind.TypeDefinition:
                case HandleKind.TypeReference:
                case HandleKind.TypeSpecification:
                    Add(named, token, provider);
                    break;
                case HandleKind.FieldDefinition:
                    Add(named, _reader.GetFieldDefinition((FieldDefinitionHandle)token).GetDeclaringType(), provider);
                    break;
                case HandleKind.MethodDefinition:
                    Add(named, _reader.GetMethodDefinition((MethodDefinitionHandle)token).GetDeclaringType(), provider);
                    break;
                case HandleKind.MemberReference:
                    MemberReference member = _reader.GetMemberReference((MemberReferenceHandle)token);
                    if (member.Parent.Kind == HandleKind.MethodDefinition)
                    {
                        AddToken(named, member.Parent, provider);
                    }
                    else
                    {
                        Add(named, member.Parent, provider);
                    }

                    if (member.GetKind() == MemberReferenceKind.Method)
                    {
                        AddSignature(named, member.DecodeMethodSignature(provider, null));
                    }
                    else
                    {
                        named.UnionWith(member.DecodeFieldSignature(provider, null));
                    }

                    break;
                case HandleKind.MethodSpecification:
                    MethodSpecification specification = _reader.GetMethodSpecification((MethodSpecificationHandle)token);
                    AddToken(named, specification.Method, provider);
                    foreach (ImmutableArray<string> argument in specification.DecodeSignature(provider, null))
                    {
                        named.UnionWith(argument);
                    }

                    break;
            }
        }

        private void AddAttribute(HashSet<string> named, CustomAttributeHandle handle, NamespaceProvider provider) =>
            AddToken(named, _reader.GetCustomAttribute(handle).Constructor, provider);

        private static void AddSignature(HashSet<string> named, MethodSignature<ImmutableArray<string>> signature)
        {
            named.UnionWith(signature.ReturnType);
            foreach (ImmutableArray<string> parameter in signature.ParameterTypes)
            {
                named.UnionWith(parameter);
            }
        }

        private void Add(HashSet<string> named, EntityHandle handle, NamespaceProvider provider)
        {
            if (handle.IsNil)
            {
                return;
            }

            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                    named.UnionWith(provider.GetTypeFromDefinition(_reader, (TypeDefinitionHandle)handle, 0));
                    break;
                case HandleKind.TypeReference:
                    named.UnionWith(provider.GetTypeFromReference(_reader, (TypeReferenceHandle)handle, 0));
                    break;
                case HandleKind.TypeSpecification:
                    named.UnionWith(_reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(provider, null));
                    break;
            }
        }

        private string NamespaceOf(TypeDefinitionHandle handle)
        {
            TypeDefinition type = _reader.GetTypeDefinition(handle);
            while (!type.GetDeclaringType().IsNil)
            {
                type = _reader.GetTypeDefinition(type.GetDeclaringType());
            }

            string name = _reader.GetString(type.Name);
            return name == "<Module>" || name.StartsWith("<", StringComparison.Ordinal) ? null : _reader.GetString(type.Namespace);
        }

        private string TopLevelName(TypeDefinitionHandle handle)
        {
            TypeDefinition type = _reader.GetTypeDefinition(handle);
            while (!type.GetDeclaringType().IsNil)
            {
                type = _reader.GetTypeDefinition(type.GetDeclaringType());
            }

            return _reader.GetString(type.Name);
        }

        private string NamespaceOf(TypeReferenceHandle handle)
        {
            TypeReference type = _reader.GetTypeReference(handle);
            while (type.ResolutionScope.Kind == HandleKind.TypeReference)
            {
                type = _reader.GetTypeReference((TypeReferenceHandle)type.ResolutionScope);
            }

            return _reader.GetString(type.Namespace);
        }

        /// <summary>Decodes a signature into the set of namespaces of the types it names.</summary>
        private sealed class NamespaceProvider : ISignatureTypeProvider<ImmutableArray<string>, object>
        {
            private readonly NamespaceDependencies _graph;

            public NamespaceProvider(NamespaceDependencies graph) => _graph = graph;

            public ImmutableArray<string> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) =>
                One(_graph.NamespaceOf(handle));

            public ImmutableArray<string> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) =>
                One(_graph.NamespaceOf(handle));

            public ImmutableArray<string> GetTypeFromSpecification(MetadataReader reader, object context, TypeSpecificationHandle handle, byte rawTypeKind) =>
                reader.GetTypeSpecification(handle).DecodeSignature(this, context);

            public ImmutableArray<string> GetGenericInstantiation(ImmutableArray<string> genericType, ImmutableArray<ImmutableArray<string>> typeArguments) =>
                typeArguments.Aggregate(genericType, (all, argument) => all.AddRange(argument));

            public ImmutableArray<string> GetArrayType(ImmutableArray<string> elementType, ArrayShape shape) => elementType;

            public ImmutableArray<string> GetSZArrayType(ImmutableArray<string> elementType) => elementType;

            public ImmutableArray<string> GetByReferenceType(ImmutableArray<string> elementType) => elementType;

            public ImmutableArray<string> GetPointerType(ImmutableArray<string> elementType) => elementType;

            public ImmutableArray<string> GetPinnedType(ImmutableArray<string> elementType) => elementType;

            public ImmutableArray<string> GetModifiedType(ImmutableArray<string> modifier, ImmutableArray<string> unmodifiedType, bool isRequired) => unmodifiedType;

            public ImmutableArray<string> GetFunctionPointerType(MethodSignature<ImmutableArray<string>> signature) =>
                signature.ParameterTypes.Aggregate(signature.ReturnType, (all, parameter) => all.AddRange(parameter));

            public ImmutableArray<string> GetGenericMethodParameter(object context, int index) => ImmutableArray<string>.Empty;

            public ImmutableArray<string> GetGenericTypeParameter(object context, int index) => ImmutableArray<string>.Empty;

            public ImmutableArray<string> GetPrimitiveType(PrimitiveTypeCode typeCode) => ImmutableArray<string>.Empty;

            private static ImmutableArray<string> One(string ns) => ns == null ? ImmutableArray<string>.Empty : ImmutableArray.Create(ns);
        }
    }
}
