{-# LANGUAGE OverloadedStrings #-}

-- | The MessagePack value model of the Virgil ABI (cabi/ABI.md, section 5): a 'Value' type that
-- holds any MessagePack value. The canonical encoder is in "Virgil.Msgpack.Encode", the
-- bounds-checked decoder in "Virgil.Msgpack.Decode".
--
-- Layer: wire codec, its bottom. Imports nothing of the kit.
module Virgil.Msgpack.Value
  ( Value (..)
  , kindOf
  ) where

import qualified Data.ByteString as BS
import Data.Int (Int64, Int8)
import Data.Text (Text)
import Data.Word (Word32)
import GHC.Float (castDoubleToWord64, castFloatToWord32)

-- | Any MessagePack value.
--
-- Integers are held as 'Integer' in the MessagePack range @[-2^63, 2^64)@; encoding a value
-- outside it throws 'EncodeError'. 'Map' keeps its pairs in order, so that a value encodes to the
-- bytes it was decoded from. 'Time' is the timestamp extension (type -1): seconds since the Unix
-- epoch and nanoseconds (0 to 999,999,999).
data Value
  = Nil
  | Bool !Bool
  | Int !Integer
  | Float !Double
  | Float32 !Float
  | Str !Text
  | Bin !BS.ByteString
  | Array [Value]
  | Map [(Value, Value)]
  | Time !Int64 !Word32
  | Ext !Int8 !BS.ByteString
  deriving (Show)

-- | Structural equality, maps in order. Floats compare bit for bit, except that any NaN equals any
-- NaN (the comparison rule of ABI.md section 5), so @-0.0 /= 0.0@.
instance Eq Value where
  Nil == Nil = True
  Bool a == Bool b = a == b
  Int a == Int b = a == b
  Float a == Float b = (isNaN a && isNaN b) || castDoubleToWord64 a == castDoubleToWord64 b
  Float32 a == Float32 b = (isNaN a && isNaN b) || castFloatToWord32 a == castFloatToWord32 b
  Str a == Str b = a == b
  Bin a == Bin b = a == b
  Array a == Array b = a == b
  Map a == Map b = a == b
  Time s n == Time s' n' = s == s' && n == n'
  Ext t d == Ext t' d' = t == t' && d == d'
  _ == _ = False

-- | The family name of a value, as used in error messages: @nil, bool, int, float, str, bin,
-- array, map, time, ext@.
kindOf :: Value -> Text
kindOf v = case v of
  Nil -> "nil"
  Bool _ -> "bool"
  Int _ -> "int"
  Float _ -> "float"
  Float32 _ -> "float"
  Str _ -> "str"
  Bin _ -> "bin"
  Array _ -> "array"
  Map _ -> "map"
  Time _ _ -> "time"
  Ext _ _ -> "ext"

