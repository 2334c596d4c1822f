{-# LANGUAGE DerivingVia #-}
{-# LANGUAGE FlexibleContexts #-}
{-# LANGUAGE FlexibleInstances #-}
{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}
{-# LANGUAGE StandaloneDeriving #-}
{-# LANGUAGE UndecidableInstances #-}

-- | Lowering and lifting: 'ToMsgpack' turns a Haskell value into MessagePack, 'FromMsgpack'
-- turns MessagePack back into a Haskell value with the lifting rules of ABI.md section 5, and
-- both name their type in the manifest's type vocabulary (section 8).
-- Records (the generic deriving and the struct rule) are in "Virgil.Msgpack.Record".
--
-- Why this module is over 400 lines: the two classes and their instances for the standard types
-- (integers, floats, text, bytes, containers, tuples, time) must be defined together, since an
-- instance defined apart from both its class and its type would be an orphan.
--
-- Layer: wire codec. Imports "Virgil.Msgpack.Value" and "Virgil.Msgpack.Encode".
module Virgil.Msgpack.Class
  ( -- * Classes
    ToMsgpack (..)
  , FromMsgpack (..)
    -- * Lifting errors
  , FromError (..)
  , renderFromError
  , typeMismatch
  , inside
    -- * Helpers
  , encodeToLazy
  ) where

import qualified Data.ByteString as BS
import qualified Data.ByteString.Builder as B
import qualified Data.ByteString.Lazy as BL
import Data.Fixed (Fixed (MkFixed))
import Data.Int (Int16, Int32, Int64, Int8)
import qualified Data.Map.Strict as M
import Data.Proxy (Proxy (..))
import Data.Text (Text)
import qualified Data.Text as T
import Data.Time.Clock (UTCTime, nominalDiffTimeToSeconds, secondsToNominalDiffTime)
import Data.Time.Clock.POSIX (posixSecondsToUTCTime, utcTimeToPOSIXSeconds)
import Data.Word (Word16, Word32, Word64, Word8)
import GHC.Float (double2Float, float2Double)
import Numeric.Natural (Natural)
import Virgil.Msgpack.Encode
import Virgil.Msgpack.Value

------------------------------------------------------------------------------------------------
-- Errors

-- | Why a value could not be lifted: where (a path such as @[1].name@, outermost first) and what
-- (@expected int, got str@).
data FromError = FromError [Text] Text
  deriving (Eq, Show)

-- | @"[1]: expected float, got str"@, or just the message at the top.
renderFromError :: FromError -> Text
renderFromError (FromError [] msg) = msg
renderFromError (FromError path msg) = T.concat path <> ": " <> msg

-- | @expected <want>, got <kind of the value>@.
typeMismatch :: Text -> Value -> Either FromError a
typeMismatch want v = Left (FromError [] ("expected " <> want <> ", got " <> kindOf v))

-- | Locates an error inside a part of the value (@"[2]"@, @".name"@).
inside :: Text -> Either FromError a -> Either FromError a
inside seg (Left (FromError path msg)) = Left (FromError (seg : path) msg)
inside _ r = r
{-# INLINE inside #-}

------------------------------------------------------------------------------------------------
-- Classes

-- | Types that lower to MessagePack. Only 'toMsgpack' is required; 'encodeMsgpack' is a faster
-- path for types that can write their bytes directly; 'toTypeName' names the type in the
-- manifest (default @any@). The list methods exist so that 'String' can be a str while other
-- lists are arrays.
class ToMsgpack a where
  toMsgpack :: a -> Value

  encodeMsgpack :: a -> B.Builder
  encodeMsgpack = encodeValue . toMsgpack

  toTypeName :: Proxy a -> Text
  toTypeName _ = "any"

  toMsgpackList :: [a] -> Value
  toMsgpackList = Array . map toMsgpack

  encodeMsgpackList :: [a] -> B.Builder
  encodeMsgpackList xs = arrayHeader (length xs) <> foldMap encodeMsgpack xs

  toListTypeName :: Proxy a -> Text
  toListTypeName _ = "[" <> toTypeName (Proxy :: Proxy a) <> "]"

  {-# MINIMAL toMsgpack #-}

-- | Types that lift from MessagePack. 'zeroValue' is the type's empty value, which a record
-- takes for a field when the whole record is nil; 'optionalValue' is the value a record field of
-- an optional type ('Maybe', 'Value') takes when its key is missing: a field whose type has none
-- is required (ABI.md section 5, the struct rule).
class FromMsgpack a where
  fromMsgpack :: Value -> Either FromError a

  fromTypeName :: Proxy a -> Text
  fromTypeName _ = "any"

  zeroValue :: Maybe a
  zeroValue = Nothing

  optionalValue :: Maybe a
  optionalValue = Nothing

  fromMsgpackList :: Value -> Either FromError [a]
  fromMsgpackList Nil = Right []
  fromMsgpackList (Array xs) = go (0 :: Int) xs
    where
      go _ [] = Right []
      go i (y : ys) = case inside (index i) (fromMsgpack y) of
        Left e -> Left e
        Right a -> (a :) <$> go (i + 1) ys
      index i = "[" <> T.pack (show i) <> "]"
  fromMsgpackList v = typeMismatch "array" v

  fromListTypeName :: Proxy a -> Text
  fromListTypeName _ = "[" <> fromTypeName (Proxy :: Proxy a) <> "]"

  {-# MINIMAL fromMsgpack #-}

-- | Runs a value's encoder.
encodeToLazy :: ToMsgpack a => a -> BL.ByteString
encodeToLazy = B.toLazyByteString . encodeMsgpack

------------------------------------------------------------------------------------------------
-- Any value

instance ToMsgpack Value where
  toMsgpack = id
  encodeMsgpack = encodeValue

instance FromMsgpack Value where
  fromMsgpack = Right
  zeroValue = Just Nil
  optionalValue = Just Nil

------------------------------------------------------------------------------------------------
-- Unit, booleans

instance ToMsgpack () where
  toMsgpack () = Nil
  encodeMsgpack () = B.word8 0xc0
  toTypeName _ = "nil"

instance FromMsgpack () where
  fromMsgpack Nil = Right ()
  fromMsgpack v = typeMismatch "nil" v
  fromTypeName _ = "nil"
  zeroValue = Just ()

instance ToMsgpack Bool where
  toMsgpack = Bool
  toTypeName _ = "bool"

instance FromMsgpack Bool where
  fromMsgpack (Bool b) = Right b
  fromMsgpack v = typeMismatch "bool" v
  fromTypeName _ = "bool"
  zeroValue = Just False

------------------------------------------------------------------------------------------------
-- Integers: any MessagePack integer that fits, else an error naming the range.

boundedFrom :: forall a. (Bounded a, Integral a) => Text -> Value -> Either FromError a
boundedFrom _ (Int n)
  | n >= lo && n <= hi = Right (fromInteger n)
  | otherwise =
      Left
        ( FromError [] ("integer " <> T.pack (show n) <> " out of range [" <> T.pack (show lo)
            <> ", " <> T.pack (show hi) <> "]")
        )
  where
    lo = toInteger (minBound :: a)
    hi = toInteger (maxBound :: a)
boundedFrom want v = typeMismatch want v
{-# INLINE boundedFrom #-}

-- | 'Signed' and 'Unsigned' hold the one definition every fixed-width integer type shares; the
-- types themselves get it by @deriving via@ below.
newtype Signed a = Signed a

newtype Unsigned a = Unsigned a

instance Integral a => ToMsgpack (Signed a) where
  toMsgpack (Signed n) = Int (toInteger n)
  encodeMsgpack (Signed n) = encodeInt64 (fromIntegral n)
  toTypeName _ = "int"

instance (Bounded a, Integral a) => FromMsgpack (Signed a) where
  fromMsgpack = fmap Signed . boundedFrom "int"
  fromTypeName _ = "int"
  zeroValue = Just (Signed 0)

instance Integral a => ToMsgpack (Unsigned a) where
  toMsgpack (Unsigned n) = Int (toInteger n)
  encodeMsgpack (Unsigned n) = encodeWord64 (fromIntegral n)
  toTypeName _ = "uint"

instance (Bounded a, Integral a) => FromMsgpack (Unsigned a) where
  fromMsgpack = fmap Unsigned . boundedFrom "uint"
  fromTypeName _ = "uint"
  zeroValue = Just (Unsigned 0)

deriving via Signed Int instance ToMsgpack Int
deriving via Signed Int instance FromMsgpack Int
deriving via Signed Int8 instance ToMsgpack Int8
deriving via Signed Int8 instance FromMsgpack Int8
deriving via Signed Int16 instance ToMsgpack Int16
deriving via Signed Int16 instance FromMsgpack Int16
deriving via Signed Int32 instance ToMsgpack Int32
deriving via Signed Int32 instance FromMsgpack Int32
deriving via Signed Int64 instance ToMsgpack Int64
deriving via Signed Int64 instance FromMsgpack Int64
deriving via Unsigned Word instance ToMsgpack Word
deriving via Unsigned Word instance FromMsgpack Word
deriving via Unsigned Word8 instance ToMsgpack Word8
deriving via Unsigned Word8 instance FromMsgpack Word8
deriving via Unsigned Word16 instance ToMsgpack Word16
deriving via Unsigned Word16 instance FromMsgpack Word16
deriving via Unsigned Word32 instance ToMsgpack Word32
deriving via Unsigned Word32 instance FromMsgpack Word32
deriving via Unsigned Word64 instance ToMsgpack Word64
deriving via Unsigned Word64 instance FromMsgpack Word64

-- | Any MessagePack integer. Encoding one outside @[-2^63, 2^64)@ fails with 'EncodeError'
-- (a @virgil.ResultError@ when it is a function's result).
instance ToMsgpack Integer where
  toMsgpack = Int
  encodeMsgpack = encodeInteger
  toTypeName _ = "int"

instance FromMsgpack Integer where
  fromMsgpack (Int n) = Right n
  fromMsgpack v = typeMismatch "int" v
  fromTypeName _ = "int"
  zeroValue = Just 0

instance ToMsgpack Natural where
  toMsgpack = Int . toInteger
  encodeMsgpack = encodeInteger . toInteger
  toTypeName _ = "uint"

instance FromMsgpack Natural where
  fromMsgpack (Int n)
    | n >= 0 = Right (fromInteger n)
    | otherwise = Left (FromError [] ("integer " <> T.pack (show n) <> " is negative"))
  fromMsgpack v = typeMismatch "uint" v
  fromTypeName _ = "uint"
  zeroValue = Just 0

------------------------------------------------------------------------------------------------
-- Floats: a float accepts float 64, float 32 and any integer (converted).

instance ToMsgpack Double where
  toMsgpack = Float
  encodeMsgpack = encodeDouble
  toTypeName _ = "float"

instance FromMsgpack Double where
  fromMsgpack (Float d) = Right d
  fromMsgpack (Float32 f) = Right (float2Double f)
  fromMsgpack (Int n) = Right (fromInteger n)
  fromMsgpack v = typeMismatch "float" v
  fromTypeName _ = "float"
  zeroValue = Just 0

-- | A declared float32: encoded as float 32 (@0xca@).
instance ToMsgpack Float where
  toMsgpack = Float32
  encodeMsgpack = encodeFloat32
  toTypeName _ = "float32"

instance FromMsgpack Float where
  fromMsgpack (Float32 f) = Right f
  fromMsgpack (Float d) = Right (double2Float d)
  fromMsgpack (Int n) = Right (fromInteger n)
  fromMsgpack v = typeMismatch "float32" v
  fromTypeName _ = "float32"
  zeroValue = Just 0

------------------------------------------------------------------------------------------------
-- Text and bytes: str accepts only str, bytes only bin.

instance ToMsgpack Text where
  toMsgpack = Str
  encodeMsgpack = encodeText
  toTypeName _ = "str"

instance FromMsgpack Text where
  fromMsgpack (Str t) = Right t
  fromMsgpack v = typeMismatch "str" v
  fromTypeName _ = "str"
  zeroValue = Just T.empty

-- | A 'Char' is a one-character str, and a 'String' is a str (not an array).
instance ToMsgpack Char where
  toMsgpack = Str . T.singleton
  toTypeName _ = "str"
  toMsgpackList = Str . T.pack
  encodeMsgpackList = encodeText . T.pack
  toListTypeName _ = "str"

instance FromMsgpack Char where
  fromMsgpack (Str t) | T.length t == 1 = Right (T.head t)
  fromMsgpack v = typeMismatch "str of one character" v
  fromTypeName _ = "str"
  fromMsgpackList (Str t) = Right (T.unpack t)
  fromMsgpackList v = typeMismatch "str" v
  fromListTypeName _ = "str"

instance ToMsgpack BS.ByteString where
  toMsgpack = Bin
  encodeMsgpack = encodeBytes
  toTypeName _ = "bytes"

instance FromMsgpack BS.ByteString where
  fromMsgpack (Bin b) = Right b
  fromMsgpack v = typeMismatch "bytes" v
  fromTypeName _ = "bytes"
  zeroValue = Just BS.empty

------------------------------------------------------------------------------------------------
-- Containers

instance ToMsgpack a => ToMsgpack [a] where
  toMsgpack = toMsgpackList
  encodeMsgpack = encodeMsgpackList
  toTypeName _ = toListTypeName (Proxy :: Proxy a)

instance FromMsgpack a => FromMsgpack [a] where
  fromMsgpack = fromMsgpackList
  fromTypeName _ = fromListTypeName (Proxy :: Proxy a)
  zeroValue = Just []

-- | 'Nothing' is nil; the type is @T?@.
instance ToMsgpack a => ToMsgpack (Maybe a) where
  toMsgpack = maybe Nil toMsgpack
  encodeMsgpack = maybe (B.word8 0xc0) encodeMsgpack
  toTypeName _ = toTypeName (Proxy :: Proxy a) <> "?"

instance FromMsgpack a => FromMsgpack (Maybe a) where
  fromMsgpack Nil = Right Nothing
  fromMsgpack v = Just <$> fromMsgpack v
  fromTypeName _ = fromTypeName (Proxy :: Proxy a) <> "?"
  zeroValue = Just Nothing
  optionalValue = Just Nothing

-- | A map, written in key order; the type is @{K: V}@.
instance (ToMsgpack k, ToMsgpack v) => ToMsgpack (M.Map k v) where
  toMsgpack m = Map [(toMsgpack k, toMsgpack v) | (k, v) <- M.toList m]
  encodeMsgpack m =
    mapHeader (M.size m) <> M.foldMapWithKey (\k v -> encodeMsgpack k <> encodeMsgpack v) m
  toTypeName _ =
    "{" <> toTypeName (Proxy :: Proxy k) <> ": " <> toTypeName (Proxy :: Proxy v) <> "}"

instance (Ord k, FromMsgpack k, FromMsgpack v) => FromMsgpack (M.Map k v) where
  fromMsgpack Nil = Right M.empty
  fromMsgpack (Map kvs) = M.fromList <$> traverse entry kvs
    where
      entry (k, v) = do
        k' <- inside "{key}" (fromMsgpack k)
        v' <- inside (segment k) (fromMsgpack v)
        pure (k', v')
      segment (Str s) = "." <> s
      segment k = "[" <> T.pack (show k) <> "]"
  fromMsgpack v = typeMismatch "map" v
  fromTypeName _ =
    "{" <> fromTypeName (Proxy :: Proxy k) <> ": " <> fromTypeName (Proxy :: Proxy v) <> "}"
  zeroValue = Just M.empty

-- Tuples are arrays of exactly their length.

tupleOf :: Int -> Value -> Either FromError [Value]
tupleOf n (Array xs)
  | length xs == n = Right xs
  | otherwise =
      Left
        ( FromError [] ("expected an array of " <> T.pack (show n) <> " elements, got "
            <> T.pack (show (length xs)))
        )
tupleOf n v = typeMismatch ("an array of " <> T.pack (show n) <> " elements") v

element :: FromMsgpack a => Int -> Value -> Either FromError a
element i = inside ("[" <> T.pack (show i) <> "]") . fromMsgpack

instance (ToMsgpack a, ToMsgpack b) => ToMsgpack (a, b) where
  toMsgpack (a, b) = Array [toMsgpack a, toMsgpack b]
  encodeMsgpack (a, b) = arrayHeader 2 <> encodeMsgpack a <> encodeMsgpack b
  toTypeName _ = "[any]"

instance (FromMsgpack a, FromMsgpack b) => FromMsgpack (a, b) where
  fromMsgpack v = do
    xs <- tupleOf 2 v
    case xs of
      [a, b] -> (,) <$> element 0 a <*> element 1 b
      _ -> Left (FromError [] "unreachable")
  fromTypeName _ = "[any]"

instance (ToMsgpack a, ToMsgpack b, ToMsgpack c) => ToMsgpack (a, b, c) where
  toMsgpack (a, b, c) = Array [toMsgpack a, toMsgpack b, toMsgpack c]
  toTypeName _ = "[any]"

instance (FromMsgpack a, FromMsgpack b, FromMsgpack c) => FromMsgpack (a, b, c) where
  fromMsgpack v = do
    xs <- tupleOf 3 v
    case xs of
      [a, b, c] -> (,,) <$> element 0 a <*> element 1 b <*> element 2 c
      _ -> Left (FromError [] "unreachable")
  fromTypeName _ = "[any]"

instance (ToMsgpack a, ToMsgpack b, ToMsgpack c, ToMsgpack d) => ToMsgpack (a, b, c, d) where
  toMsgpack (a, b, c, d) = Array [toMsgpack a, toMsgpack b, toMsgpack c, toMsgpack d]
  toTypeName _ = "[any]"

instance (FromMsgpack a, FromMsgpack b, FromMsgpack c, FromMsgpack d) => FromMsgpack (a, b, c, d) where
  fromMsgpack v = do
    xs <- tupleOf 4 v
    case xs of
      [a, b, c, d] -> (,,,) <$> element 0 a <*> element 1 b <*> element 2 c <*> element 3 d
      _ -> Left (FromError [] "unreachable")
  fromTypeName _ = "[any]"

------------------------------------------------------------------------------------------------
-- Time: the timestamp extension, nanosecond precision.

instance ToMsgpack UTCTime where
  toMsgpack t = Time (fromInteger sec) (fromInteger nsec)
    where
      MkFixed picos = nominalDiffTimeToSeconds (utcTimeToPOSIXSeconds t)
      (sec, rest) = picos `divMod` 1000000000000
      nsec = rest `div` 1000
  toTypeName _ = "time"

instance FromMsgpack UTCTime where
  fromMsgpack (Time sec nsec) =
    Right
      ( posixSecondsToUTCTime
          (secondsToNominalDiffTime (MkFixed (toInteger sec * 1000000000000 + toInteger nsec * 1000)))
      )
  fromMsgpack v = typeMismatch "time" v
  fromTypeName _ = "time"
