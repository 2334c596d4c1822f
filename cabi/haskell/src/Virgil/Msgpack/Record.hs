{-# LANGUAGE DataKinds #-}
{-# LANGUAGE FlexibleContexts #-}
{-# LANGUAGE FlexibleInstances #-}
{-# LANGUAGE KindSignatures #-}
{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}
{-# LANGUAGE TypeOperators #-}
{-# LANGUAGE UndecidableInstances #-}

-- | Records over the wire: generic 'ToMsgpack' / 'FromMsgpack' for a record type (one
-- constructor with named fields) and the struct rule of ABI.md section 5 by which they lift.
--
-- Records travel as maps keyed by field name, in declaration order, and lift by the struct rule
-- (exact key, else folded; missing required fields are errors). Derive them through 'Record'
-- (field names as they are), 'PrefixedRecord' (a common prefix stripped) or 'RecordWith' (a list
-- of 'FieldOption's):
--
-- > data Stats = Stats { statsCount :: Int, statsMean :: Double }
-- >   deriving stock (Generic)
-- >   deriving (ToMsgpack, FromMsgpack) via (PrefixedRecord "stats" Stats)
--
-- encodes as @{"count": 3, "mean": 2.5}@ and has the type @{"count": int, "mean": float}@.
module Virgil.Msgpack.Record
  ( Record (..)
  , PrefixedRecord (..)
  , RecordWith (..)
  , FieldOption (..)
  , FieldOptions (..)
  , foldName
  , snakeCase
  , GToRecord
  , GFromRecord
  , genericToMsgpack
  , genericFromMsgpack
  , genericTypeName
  , genericZero
  , lowerFirstAfterPrefix
  ) where

import Data.Proxy (Proxy (..))
import Data.Text (Text)
import qualified Data.Text as T
import GHC.Generics
import GHC.TypeLits (KnownSymbol, Symbol, symbolVal)
import Virgil.Msgpack.Class
import Virgil.Msgpack.Value

-- | Derive 'ToMsgpack' and 'FromMsgpack' for a record (one constructor with named fields)
-- through this newtype: the record is a map keyed by each field's name as Haskell spells it
-- (its wire name), in declaration order. Lifting follows the struct rule (see 'RecordWith').
newtype Record a = Record a

-- | Like 'Record', with @prefix@ stripped from every field name that starts with it and the next
-- letter lowered: with prefix @"stats"@, field @statsMean@ has the wire name @"mean"@. The same
-- as @'RecordWith' '['StripPrefix' prefix]@.
newtype PrefixedRecord (prefix :: Symbol) a = PrefixedRecord a

-- | A record whose wire names are its field names changed by a list of options, applied left
-- to right:
--
-- > data Limits = Limits {limitsMaxValue :: Int, limitsMinValue :: Int, limitsNote :: Maybe Text}
-- >   deriving stock (Generic)
-- >   deriving (ToMsgpack, FromMsgpack)
-- >     via (RecordWith '[StripPrefix "limits", SnakeCase] Limits)  -- max_value, min_value, note
--
-- Lifting any of these record types follows the struct rule of ABI.md section 5, the same in
-- every Virgil kit:
--
-- * a key matches a field by its exact wire name first; a field no key matches exactly is
--   matched by its folded name ('foldName': ASCII lowercase, @_@ and @-@ removed), so
--   @maxValue@ meets @max_value@, @MaxValue@ and @max-value@; two or more keys that fold to such
--   a field are an error (@Limits: ambiguous keys for field maxValue: "MAX_VALUE", "max_value"@);
-- * a missing field is an error naming the record and the field
--   (@Summary: missing field mean@), unless its type is optional ('Maybe', 'Value'), when it
--   is 'Nothing' (nil);
-- * keys that name no field are ignored;
-- * nil is the record whose every field is its type's 'zeroValue', when they all have one.
newtype RecordWith (options :: [FieldOption]) a = RecordWith a

-- | How 'RecordWith' turns a field name into its wire name.
data FieldOption
  = -- | Strip this prefix from the names that start with it and lower the next letter
    -- (@StripPrefix "stats"@: @statsMean@ is @mean@).
    StripPrefix Symbol
  | -- | camelCase to snake_case (@maxValue@ is @max_value@, @httpCode@ is @http_code@,
    -- @HTTPCode@ is @http_code@).
    SnakeCase
  | -- | Give this one field (by its name at this point of the list) this wire name
    -- (@Rename "summaryMean" "avg"@).
    Rename Symbol Symbol

-- | The wire-name function of a list of 'FieldOption's.
class FieldOptions (options :: [FieldOption]) where
  fieldRename :: Proxy options -> Text -> Text

instance FieldOptions '[] where
  fieldRename _ = id

instance (KnownSymbol p, FieldOptions rest) => FieldOptions ('StripPrefix p ': rest) where
  fieldRename _ = fieldRename (Proxy :: Proxy rest) . lowerFirstAfterPrefix (T.pack (symbolVal (Proxy :: Proxy p)))

instance FieldOptions rest => FieldOptions ('SnakeCase ': rest) where
  fieldRename _ = fieldRename (Proxy :: Proxy rest) . snakeCase

instance (KnownSymbol from, KnownSymbol to, FieldOptions rest) => FieldOptions ('Rename from to ': rest) where
  fieldRename _ = fieldRename (Proxy :: Proxy rest) . rename
    where
      rename n = if n == T.pack (symbolVal (Proxy :: Proxy from)) then T.pack (symbolVal (Proxy :: Proxy to)) else n

instance (Generic a, GToRecord (Rep a)) => ToMsgpack (Record a) where
  toMsgpack (Record x) = genericToMsgpack id x
  toTypeName _ = genericTypeName id (Proxy :: Proxy a)

instance (Generic a, GFromRecord (Rep a)) => FromMsgpack (Record a) where
  fromMsgpack v = Record <$> genericFromMsgpack id v
  fromTypeName _ = genericFromTypeName id (Proxy :: Proxy a)
  zeroValue = Record <$> genericZero

instance (KnownSymbol p, Generic a, GToRecord (Rep a)) => ToMsgpack (PrefixedRecord p a) where
  toMsgpack (PrefixedRecord x) = genericToMsgpack (lowerFirstAfterPrefix (prefixOf (Proxy :: Proxy p))) x
  toTypeName _ = genericTypeName (lowerFirstAfterPrefix (prefixOf (Proxy :: Proxy p))) (Proxy :: Proxy a)

instance (KnownSymbol p, Generic a, GFromRecord (Rep a)) => FromMsgpack (PrefixedRecord p a) where
  fromMsgpack v = PrefixedRecord <$> genericFromMsgpack (lowerFirstAfterPrefix (prefixOf (Proxy :: Proxy p))) v
  fromTypeName _ = genericFromTypeName (lowerFirstAfterPrefix (prefixOf (Proxy :: Proxy p))) (Proxy :: Proxy a)
  zeroValue = PrefixedRecord <$> genericZero

instance (FieldOptions os, Generic a, GToRecord (Rep a)) => ToMsgpack (RecordWith os a) where
  toMsgpack (RecordWith x) = genericToMsgpack (fieldRename (Proxy :: Proxy os)) x
  toTypeName _ = genericTypeName (fieldRename (Proxy :: Proxy os)) (Proxy :: Proxy a)

instance (FieldOptions os, Generic a, GFromRecord (Rep a)) => FromMsgpack (RecordWith os a) where
  fromMsgpack v = RecordWith <$> genericFromMsgpack (fieldRename (Proxy :: Proxy os)) v
  fromTypeName _ = genericFromTypeName (fieldRename (Proxy :: Proxy os)) (Proxy :: Proxy a)
  zeroValue = RecordWith <$> genericZero

prefixOf :: KnownSymbol p => Proxy p -> Text
prefixOf = T.pack . symbolVal

-- | @lowerFirstAfterPrefix "stats" "statsMean" == "mean"@; names without the prefix are kept.
lowerFirstAfterPrefix :: Text -> Text -> Text
lowerFirstAfterPrefix prefix name = case T.stripPrefix prefix name of
  Just rest | Just (c, cs) <- T.uncons rest -> T.cons (asciiLower c) cs
  _ -> name

-- | camelCase to snake_case: an underscore before an upper-case letter that follows a
-- lower-case letter or digit, or that starts a word after an acronym (@HTTPCode@ is
-- @http_code@); then ASCII lowercase.
snakeCase :: Text -> Text
snakeCase t = T.pack (go Nothing (T.unpack t))
  where
    go _ [] = []
    go prev (c : rest)
      | isUpper c, Just p <- prev, isLower p || isDigit p || (isUpper p && startsWord rest) =
          '_' : asciiLower c : go (Just c) rest
      | otherwise = asciiLower c : go (Just c) rest
    startsWord (n : _) = isLower n
    startsWord [] = False
    isUpper c = c >= 'A' && c <= 'Z'
    isLower c = c >= 'a' && c <= 'z'
    isDigit c = c >= '0' && c <= '9'

-- | The folded form of a name, by which struct keys and attribute keys meet when they do not
-- match exactly: ASCII letters lowercased, every @_@ and @-@ removed
-- (@foldName "Max_Value" == "maxvalue"@).
foldName :: Text -> Text
foldName = T.map asciiLower . T.filter (\c -> c /= '_' && c /= '-')

asciiLower :: Char -> Char
asciiLower c = if c >= 'A' && c <= 'Z' then toEnum (fromEnum c + 32) else c

-- | A record as a map keyed by (renamed) field name, in declaration order.
genericToMsgpack :: (Generic a, GToRecord (Rep a)) => (Text -> Text) -> a -> Value
genericToMsgpack rename x = Map [(Str k, v) | (k, v) <- gToFields rename (from x) []]

-- | The record's type: @{"count": int, "mean": float}@.
genericTypeName :: forall a. GToRecord (Rep a) => (Text -> Text) -> Proxy a -> Text
genericTypeName rename _ = recordType (gToTypes rename (Proxy :: Proxy (Rep a)) [])

genericFromTypeName :: forall a. GFromRecord (Rep a) => (Text -> Text) -> Proxy a -> Text
genericFromTypeName rename _ = recordType (gFromTypes rename (Proxy :: Proxy (Rep a)) [])

recordType :: [(Text, Text)] -> Text
recordType fields = "{" <> T.intercalate ", " [quote k <> ": " <> t | (k, t) <- fields] <> "}"
  where
    quote k = "\"" <> k <> "\""

-- | Lifts a record from a map by the struct rule (see 'RecordWith'), or from nil when every
-- field has a zero value.
genericFromMsgpack :: (Generic a, GFromRecord (Rep a)) => (Text -> Text) -> Value -> Either FromError a
genericFromMsgpack rename (Map kvs) = to <$> gFromFields T.empty rename [Key k (foldName k) v | (Str k, v) <- kvs]
genericFromMsgpack _ Nil | Just z <- genericZero = Right z
genericFromMsgpack _ v = typeMismatch "map" v

-- | The record whose every field is its zero value, when they all have one.
genericZero :: (Generic a, GFromRecord (Rep a)) => Maybe a
genericZero = to <$> gZero

-- | A key of a map being lifted as a record: as sent, folded, and its value.
data Key = Key !Text !Text Value

-- | Generic lowering of a record's fields. Instances exist only for a single constructor with
-- named fields, so other types are a compile-time error.
class GToRecord f where
  gToFields :: (Text -> Text) -> f p -> [(Text, Value)] -> [(Text, Value)]
  gToTypes :: (Text -> Text) -> Proxy f -> [(Text, Text)] -> [(Text, Text)]

instance GToRecord f => GToRecord (D1 d f) where
  gToFields r (M1 x) = gToFields r x
  gToTypes r _ = gToTypes r (Proxy :: Proxy f)

instance GToRecord f => GToRecord (C1 c f) where
  gToFields r (M1 x) = gToFields r x
  gToTypes r _ = gToTypes r (Proxy :: Proxy f)

instance GToRecord U1 where
  gToFields _ U1 = id
  gToTypes _ _ = id

instance (GToRecord f, GToRecord g) => GToRecord (f :*: g) where
  gToFields r (x :*: y) = gToFields r x . gToFields r y
  gToTypes r _ = gToTypes r (Proxy :: Proxy f) . gToTypes r (Proxy :: Proxy g)

instance (KnownSymbol name, ToMsgpack a) => GToRecord (S1 ('MetaSel ('Just name) su ss ds) (K1 i a)) where
  gToFields r (M1 (K1 x)) = ((r (T.pack (symbolVal (Proxy :: Proxy name))), toMsgpack x) :)
  gToTypes r _ = ((r (T.pack (symbolVal (Proxy :: Proxy name))), toTypeName (Proxy :: Proxy a)) :)

-- | Generic lifting of a record's fields (given the record's name, for errors).
class GFromRecord f where
  gFromFields :: Text -> (Text -> Text) -> [Key] -> Either FromError (f p)
  gFromTypes :: (Text -> Text) -> Proxy f -> [(Text, Text)] -> [(Text, Text)]
  gZero :: Maybe (f p)

instance (KnownSymbol name, GFromRecord f) => GFromRecord (D1 ('MetaData name m p nt) f) where
  gFromFields _ r kvs = M1 <$> gFromFields (T.pack (symbolVal (Proxy :: Proxy name))) r kvs
  gFromTypes r _ = gFromTypes r (Proxy :: Proxy f)
  gZero = M1 <$> gZero

instance GFromRecord f => GFromRecord (C1 c f) where
  gFromFields n r kvs = M1 <$> gFromFields n r kvs
  gFromTypes r _ = gFromTypes r (Proxy :: Proxy f)
  gZero = M1 <$> gZero

instance GFromRecord U1 where
  gFromFields _ _ _ = Right U1
  gFromTypes _ _ = id
  gZero = Just U1

instance (GFromRecord f, GFromRecord g) => GFromRecord (f :*: g) where
  gFromFields n r kvs = (:*:) <$> gFromFields n r kvs <*> gFromFields n r kvs
  gFromTypes r _ = gFromTypes r (Proxy :: Proxy f) . gFromTypes r (Proxy :: Proxy g)
  gZero = (:*:) <$> gZero <*> gZero

instance (KnownSymbol name, FromMsgpack a) => GFromRecord (S1 ('MetaSel ('Just name) su ss ds) (K1 i a)) where
  gFromFields record r kvs = case [k | k@(Key sent _ _) <- kvs, sent == wire] of
    Key sent _ v : _ -> lift sent v
    [] -> case [k | k@(Key _ folded _) <- kvs, folded == foldName wire] of
      [Key sent _ v] -> lift sent v
      [] -> case optionalValue of
        Just z -> Right (M1 (K1 z))
        Nothing -> Left (FromError [] (record <> ": missing field " <> wire))
      several ->
        Left
          ( FromError []
              ( record <> ": ambiguous keys for field " <> wire <> ": "
                  <> T.intercalate ", " [T.pack (show (T.unpack sent)) | Key sent _ _ <- several]
              )
          )
    where
      wire = r (T.pack (symbolVal (Proxy :: Proxy name)))
      lift sent v = M1 . K1 <$> inside ("." <> sent) (fromMsgpack v)
  gFromTypes r _ = ((r (T.pack (symbolVal (Proxy :: Proxy name))), fromTypeName (Proxy :: Proxy a)) :)
  gZero = M1 . K1 <$> zeroValue
